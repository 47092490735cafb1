// Routes (protocol §4.5, Routes): who a report is sealed to before the
// reporter's exclusions, the twin of the routes section of
// chalicelib/manifest.py. The category is the report form's answer; it stays
// inside the sealed report.
import type { Manifest } from "./types.js";

/**
 * The current members a report of `category` goes to, in manifest order
 * and never an intake member:
 * every one without routes; with routes, the category's route (none for a
 * category without one) and every admin, so that a routed report always
 * reaches an admin even when one of them lost admin powers since.
 */
export function routeReaders(manifest: Manifest, category: unknown): string[] {
  // An intake member files reports and reads none (protocol §4.5, Roles).
  const live = manifest.members.filter((m) => !m.removed && m.role !== "intake");
  if (manifest.routes === undefined) return live.map((m) => m.id);
  const route = typeof category === "string" ? (manifest.routes[category] ?? []) : [];
  return live.filter((m) => m.role === "admin" || route.includes(m.id)).map((m) => m.id);
}

/** The categories whose readers hold all of `access` (null: every category without a route). */
export function routesFitting(manifest: Manifest, access: readonly string[]): (string | null)[] {
  const routed = manifest.routes === undefined ? [] : Object.keys(manifest.routes).sort();
  return [null, ...routed].filter((category) => {
    const readers = routeReaders(manifest, category);
    return access.every((m) => readers.includes(m));
  });
}

/**
 * Who the reporter left out of a report of `category`: the category's
 * readers that `access` lacks. Members outside the route were never
 * offered, so they may be granted later.
 */
export function reporterExclusions(manifest: Manifest, access: readonly string[], category: unknown): Set<string> {
  return new Set(routeReaders(manifest, category).filter((m) => !access.includes(m)));
}

/**
 * `routes` without the members `members` lists as removed or not at all,
 * and without the routes that leaves empty (candor/roster.py's
 * kept_routes): the next version built from the member list keeps the
 * routes, and a removal never waits for the admins to rewrite them.
 */
export function keptRoutes(
  routes: Readonly<Record<string, readonly string[]>> | undefined,
  members: readonly { id: string; removed: boolean }[],
): Record<string, string[]> {
  const current = new Set(members.filter((m) => !m.removed).map((m) => m.id));
  const kept: Record<string, string[]> = {};
  for (const [category, route] of Object.entries(routes ?? {})) {
    const left = route.filter((m) => current.has(m));
    if (left.length > 0) kept[category] = left;
  }
  return kept;
}
