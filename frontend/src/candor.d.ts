// The data build.mjs builds into the bundles (`import x from "candor:NAME"`).

declare module "candor:catalogues" {
  const catalogues: import("./lib/i18n.js").Catalogues;
  export default catalogues;
}

declare module "candor:manifest" {
  /** The manifest built into the page: unchecked until manifest.ts's verifyBuiltIn. */
  const manifest: unknown;
  export default manifest;
}

declare module "candor:questionnaire" {
  const questionnaire: import("./page/questionnaire.js").Questionnaire;
  export default questionnaire;
}
