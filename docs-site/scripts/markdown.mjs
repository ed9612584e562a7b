// Functions for writing Markdown that VitePress renders safely.

/** Escapes text for a Markdown table cell or paragraph: no HTML, no table breaks, no Vue interpolation. */
export function escapeText(text) {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .replace(/\{/g, "&#123;")
    .replace(/\}/g, "&#125;")
    .replace(/\r?\n/g, " ");
}

/** A code span that survives backticks in its content. */
export function code(text) {
  const value = String(text);
  const fence = value.includes("`") ? "``" : "`";
  return `${fence}${value.replace(/\|/g, "\\|")}${fence}`;
}

// The heading slug VitePress gives a heading (the same rules as its built-in slugify), so generated
// pages can link to sections of hand-written ones.
const rControl = /[\u0000-\u001f]/g;
const rSpecial = /[\s~`!@#$%^&*()\-_+=[\]{}|\\;:"'“”‘’<>,.?/]+/g;
const rCombining = /[\u0300-\u036F]/g;
export function slugify(text) {
  return text
    .normalize("NFKD")
    .replace(rCombining, "")
    .replace(rControl, "")
    .replace(rSpecial, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "")
    .replace(/^(\d)/, "_$1")
    .toLowerCase();
}
