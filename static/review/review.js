// Compare view: keyboard shortcuts, and text selection -> code point offsets for "add".
(function () {
  "use strict";

  function rows() { return Array.from(document.querySelectorAll("[data-row]")); }

  function current() {
    const active = document.activeElement;
    return active && active.closest ? active.closest("[data-row]") : null;
  }

  function focusRow(step) {
    const all = rows();
    if (!all.length) return;
    const here = all.indexOf(current());
    const next = here < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, here + step));
    all.forEach(function (row) { row.classList.remove("current"); });
    all[next].classList.add("current");
    all[next].focus();
    all[next].scrollIntoView({ block: "nearest" });
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const row = current();
    if (event.key === "j") { focusRow(1); event.preventDefault(); return; }
    if (event.key === "k") { focusRow(-1); event.preventDefault(); return; }
    if (event.key === "f") {
      const final = document.getElementById("final");
      if (final) { final.focus(); final.scrollIntoView({ block: "start" }); event.preventDefault(); }
      return;
    }
    if (!row) return;
    if (event.key === "e") {
      const details = row.querySelector("details[data-key=e]");
      if (details) {
        details.open = true;
        const first = details.querySelector("input[type=number]");
        if (first) first.focus();
        event.preventDefault();
      }
      return;
    }
    if (event.key === "a" || /^[1-9]$/.test(event.key)) {
      const button = row.querySelector('button[data-key="' + event.key + '"]');
      if (button) { button.click(); event.preventDefault(); }
    }
  });

  // After a pick, the server redirects to #row-N: focus that row so j/k continue from there.
  document.addEventListener("DOMContentLoaded", function () {
    const target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.hasAttribute("data-row")) { target.classList.add("current"); target.focus(); }

    // Browsers count UTF-16 units; the server counts code points.
    const text = document.getElementById("compare-text");
    const start = document.getElementById("add-start");
    const end = document.getElementById("add-end");
    const quote = document.getElementById("add-quote");
    if (!text || !start || !end) return;
    text.addEventListener("mouseup", function () {
      const selection = window.getSelection();
      if (!selection || selection.isCollapsed || !selection.rangeCount) return;
      const range = selection.getRangeAt(0);
      if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return;
      const before = document.createRange();
      before.setStart(text, 0);
      before.setEnd(range.startContainer, range.startOffset);
      const prefix = before.toString();
      const chosen = range.toString();
      const from = Array.from(prefix).length;
      start.value = from;
      end.value = from + Array.from(chosen).length;
      if (quote) quote.textContent = "“" + chosen + "”";
    });
  });
})();
