// Steps with history entries: each step the reporter moves forward to gets
// one, so the browser's Back (or a back swipe) returns to the previous step
// instead of leaving the page and losing the report. Drafts stay in the
// page's memory; history entries carry only the step's id.
import { showStep } from "./common.js";

interface StepState {
  candorStep: string;
}

const stateOf = (value: unknown): string | null => {
  const step = (value as Partial<StepState> | null)?.candorStep;
  return typeof step === "string" ? step : null;
};

/**
 * `decide(from, to)` says which step to show when the history moves to
 * `to`: `to` itself, another step, or null to stay where the page is (a
 * send in progress, a receipt not yet saved).
 */
export class Steps {
  current: string;

  constructor(
    first: string,
    private readonly decide: (from: string, to: string) => string | null,
  ) {
    this.current = first;
    history.replaceState({ candorStep: first } satisfies StepState, "");
    showStep(first);
    window.addEventListener("popstate", (event) => {
      this.popped(stateOf(event.state));
    });
  }

  /** Move forward to `step`, with a history entry. */
  push(step: string): void {
    history.pushState({ candorStep: step } satisfies StepState, "");
    this.show(step);
  }

  /** Show `step` in place of the current entry (a step Back should skip, such as sending). */
  replace(step: string): void {
    history.replaceState({ candorStep: step } satisfies StepState, "");
    this.show(step);
  }

  private show(step: string): void {
    this.current = step;
    showStep(step);
  }

  private popped(to: string | null): void {
    const target = to === null ? null : this.decide(this.current, to);
    if (target === null) {
      // Stay: put the entry the browser just left back on top.
      history.pushState({ candorStep: this.current } satisfies StepState, "");
      return;
    }
    if (target !== to) history.replaceState({ candorStep: target } satisfies StepState, "");
    this.show(target);
  }
}
