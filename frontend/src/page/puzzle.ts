// The reporter pages' side of client puzzles (protocol §4.1): when the
// server is busy, lib/api.ts asks for a proof of work before it sends a
// request again. The page solves it in a Web Worker (workers/puzzle.ts), so
// it stays responsive, and shows a note while it works. Where workers cannot
// run, the same solver runs here.
import { setPuzzleSolver } from "../lib/api.js";
import { solve, type Proof } from "../lib/puzzle.js";
import { el, type I18n } from "./common.js";
import { runWorker } from "./workers.js";

/** The heading of the step on screen, which the note follows. */
const anchor = (): Element | null => document.querySelector(".step:not([hidden]) h1");

/** Solve every puzzle from now on in a worker, with a note under the step's heading while it works. */
export function solvePuzzlesInWorker(i18n: I18n): void {
  const note = el("p", { id: "puzzle-note", class: "alert alert-info", role: "status", hidden: true });
  setPuzzleSolver(async (job) => {
    note.textContent = i18n.t("puzzle.working");
    (anchor() ?? document.body.firstElementChild)?.after(note);
    note.hidden = false;
    try {
      return await runWorker<Proof>("puzzle", job).catch(() => solve(job));
    } finally {
      note.hidden = true;
    }
  });
}
