// One `.view` section at a time; focus moves to its heading.
import { $ } from "../page/common.js";

export function showView(id) {
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== id;
  for (const tab of document.querySelectorAll(".tab")) {
    const current = (tab.id === "tab-inbox" && (id === "view-inbox" || id === "view-case")) || (tab.id === "tab-team" && id === "view-team");
    if (current) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  $(id).querySelector("h1")?.focus();
  window.scrollTo(0, 0);
}
