/**
 * The page's DOM: elements found by their `data-testid` (the names the browser test uses too), and the few
 * things the wallet writes into them: text, the error box, the activity list, the busy line.
 */
import type { Explained } from "./errors.js";

/** The element with `data-testid="<id>"` (the page is broken without it). */
export function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.querySelector<T>(`[data-testid="${id}"]`);
  if (found === null) throw new Error(`the page has no element data-testid="${id}"`);
  return found;
}

export function setText(id: string, text: string): void {
  el(id).textContent = text;
}

/** Shows or hides a section by its element id. */
export function show(sectionId: string, visible = true): void {
  const section = document.getElementById(sectionId);
  if (section !== null) section.hidden = !visible;
}

export function showError(explained: Explained): void {
  setText("error-title", explained.title);
  setText("error-detail", explained.detail);
  el("error").hidden = false;
}

export function clearError(): void {
  el("error").hidden = true;
}

export type ActivityKind = "in" | "out" | "info" | "failed";

/** Adds a line at the top of the activity list, with the time it happened (and its transaction's full hash). */
export function logActivity(kind: ActivityKind, text: string, tx?: string): void {
  const item = document.createElement("li");
  item.className = kind;
  item.dataset.kind = kind;
  if (tx !== undefined) item.dataset.tx = tx;
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  el("activity").prepend(item);
}

/** Disables every button while `busy` is set, and says what the wallet is doing. */
export function setBusy(what: string | undefined): void {
  setText("busy", what === undefined ? "" : `${what}…`);
  for (const button of document.querySelectorAll<HTMLButtonElement>("#actions button, #connect button"))
    button.disabled = what !== undefined || button.dataset.unavailable === "true";
}

/** The value of an input field, trimmed. */
export function field(id: string): string {
  return el<HTMLInputElement>(id).value.trim();
}
