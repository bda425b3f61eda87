// Reviewer UI: selection → code-point offsets, keyboard shortcuts, small htmx glue.
// The server stores Unicode code points; DOM offsets count UTF-16 units. Convert here, once.
"use strict";

(function () {
  // ---- Offsets -----------------------------------------------------------------------------

  /** Code points in s.slice(0, u16): UTF-16 units minus the low halves of surrogate pairs. */
  function u16ToCp(s, u16) {
    let cp = 0;
    for (let i = 0; i < u16; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
        const p = s.charCodeAt(i - 1);
        if (p >= 0xd800 && p <= 0xdbff) continue;
      }
      cp++;
    }
    return cp;
  }

  /** The UTF-16 index of code point `cp` in s. */
  function cpToU16(s, cp) {
    let i = 0;
    for (let n = 0; n < cp && i < s.length; n++) {
      const c = s.charCodeAt(i);
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
    }
    return i;
  }

  /** UTF-16 offset of a DOM boundary point, counted from the start of `root`'s text. */
  function domToU16(root, node, offset) {
    const range = document.createRange();
    range.setStart(root, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  /** The DOM boundary point at UTF-16 offset `u16` in `root`'s text. */
  function u16ToDom(root, u16) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let seen = 0;
    let node = walker.nextNode();
    let last = null;
    while (node) {
      const len = node.data.length;
      if (u16 <= seen + len) return { node: node, offset: u16 - seen };
      seen += len;
      last = node;
      node = walker.nextNode();
    }
    return last ? { node: last, offset: last.data.length } : { node: root, offset: 0 };
  }

  const WORD = /[\p{L}\p{N}\p{M}_'’-]/u;
  const MARK = /\p{M}/u;
  const SPACE = /\s/u;

  function isLow(s, i) {
    const c = s.charCodeAt(i);
    return c >= 0xdc00 && c <= 0xdfff;
  }

  /** Trim whitespace, keep combining marks and surrogate pairs whole, optionally snap to words. */
  function adjust(text, a, b, snap) {
    while (a < b && SPACE.test(text[a])) a++;
    while (b > a && SPACE.test(text[b - 1])) b--;
    if (a >= b) return null;
    if (snap) {
      while (a > 0 && WORD.test(text[a - 1]) && WORD.test(text[a])) a--;
      while (b < text.length && WORD.test(text[b]) && WORD.test(text[b - 1])) b++;
    }
    // Never split a surrogate pair, and keep combining marks with their base character.
    if (a > 0 && isLow(text, a)) a--;
    if (b < text.length && isLow(text, b)) b++;
    while (a > 0 && MARK.test(text[a])) a--;
    while (b < text.length && MARK.test(text[b])) b++;
    return { a: a, b: b };
  }

  function textRoot() {
    return document.getElementById("doc-text");
  }

  /** The current selection inside the text as {start, end, quote} in code points, or null. */
  function selectionSpan() {
    const root = textRoot();
    const sel = window.getSelection();
    if (!root || !sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    if (!root.contains(range.startContainer) || !root.contains(range.endContainer)) return null;
    const text = root.textContent;
    const snap = document.getElementById("snap-words");
    const span = adjust(
      text,
      domToU16(root, range.startContainer, range.startOffset),
      domToU16(root, range.endContainer, range.endOffset),
      snap && snap.checked,
    );
    if (!span) return null;
    return {
      start: u16ToCp(text, span.a),
      end: u16ToCp(text, span.b),
      quote: text.slice(span.a, span.b),
    };
  }

  /** Select code points [start, end) of the text (used by j/k on suggestions). */
  function selectCp(start, end) {
    const root = textRoot();
    const text = root.textContent;
    const a = u16ToDom(root, cpToU16(text, start));
    const b = u16ToDom(root, cpToU16(text, end));
    const range = document.createRange();
    range.setStart(a.node, a.offset);
    range.setEnd(b.node, b.offset);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  // Exposed for the browser tests and the console.
  window.claimOffsets = { u16ToCp: u16ToCp, cpToU16: cpToU16, adjust: adjust, selectionSpan: selectionSpan };

  // ---- Document page -----------------------------------------------------------------------

  let lastSpan = null; // the last non-empty selection in the text, kept while buttons take focus
  let lastStart = -1; // where the last selection started, for j/k after an accept
  let currentSug = null; // id of the suggestion j/k/a/r act on

  function info(message) {
    const el = document.getElementById("selection-info");
    if (el) el.textContent = message;
  }

  document.addEventListener("selectionchange", function () {
    const root = textRoot();
    if (!root) return;
    // Typing a note or clicking a button moves the selection out of the text: keep the last.
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || !root.contains(sel.anchorNode)) return;
    const span = selectionSpan();
    lastSpan = span;
    if (span) {
      lastStart = span.start;
      info("Selected " + (span.end - span.start) + " characters: press 1, 2 or 3.");
    }
  });

  function tag(label) {
    const form = document.getElementById("annotate-form");
    if (!form) return;
    const span = selectionSpan() || lastSpan;
    if (!span) {
      info("Select some text first.");
      return;
    }
    form.elements.start.value = span.start;
    form.elements.end.value = span.end;
    form.elements.quote.value = span.quote;
    form.elements.label.value = label;
    htmx.trigger(form, "submit");
  }

  function sugMarks() {
    return Array.from(document.querySelectorAll("#doc-text mark.sug[data-first]"));
  }

  function focusSug(mark) {
    currentSug = mark.dataset.s;
    document.querySelectorAll(".current-sug").forEach(function (el) {
      el.classList.remove("current-sug");
    });
    document.querySelectorAll('[data-s="' + currentSug + '"]').forEach(function (el) {
      el.classList.add("current-sug");
    });
    mark.scrollIntoView({ block: "center" });
    selectCp(Number(mark.dataset.start), Number(mark.dataset.end));
    info("Suggestion: a accepts, r rejects, Shift+arrows adjust the selection.");
  }

  function moveSug(step) {
    const marks = sugMarks();
    if (!marks.length) return;
    let i = marks.findIndex(function (m) {
      return m.dataset.s === currentSug;
    });
    if (i < 0) {
      // After an accept/reject the current one is gone: continue from the selection.
      const from = lastStart;
      i = step > 0 ? -1 : marks.length;
      marks.forEach(function (m, k) {
        if (step > 0 && Number(m.dataset.start) <= from) i = k;
        if (step < 0 && Number(m.dataset.start) >= from && k < i) i = k;
      });
    }
    const next = marks[Math.min(Math.max(i + step, 0), marks.length - 1)];
    focusSug(next);
  }

  function flash(selector) {
    const marks = document.querySelectorAll(selector);
    if (!marks.length) return;
    marks[0].scrollIntoView({ block: "center", behavior: "smooth" });
    marks[0].focus({ preventScroll: true });
    marks.forEach(function (m) {
      m.classList.remove("flash");
      void m.offsetWidth; // restart the animation
      m.classList.add("flash");
    });
  }

  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable]");
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    if (document.body.classList.contains("page-queue")) return queueKeys(event);
    if (!textRoot()) return;
    const key = event.key;
    const labelBtn = document.querySelector('.label-btn[data-shortcut="' + CSS.escape(key) + '"]');
    if (labelBtn) {
      event.preventDefault();
      tag(labelBtn.dataset.label);
    } else if (key === "j" || key === "k") {
      event.preventDefault();
      moveSug(key === "j" ? 1 : -1);
    } else if (key === "a" || key === "r") {
      if (currentSug && document.getElementById("s-" + currentSug)) {
        event.preventDefault();
        sugDecide(key === "a" ? "accept" : "reject", currentSug);
      } else info("No current suggestion: press j to pick one.");
    } else if (key === "n") {
      const next = document.getElementById("next-doc");
      if (next) next.click();
      else info("No further document in your queue.");
    } else if (key === "?") {
      event.preventDefault();
      document.getElementById("shortcuts-dialog").showModal();
    }
  });

  /** Sidebar row buttons carry data-url; one listener sends them through htmx. */
  function rowAction(button) {
    const url = button.dataset.url;
    if (button.classList.contains("edit")) {
      const row = button.closest("li");
      return htmx.ajax("GET", url, { source: button, target: "#" + row.id, swap: "outerHTML" });
    }
    if (button.classList.contains("sug-accept")) return sugDecide("accept", button.dataset.s);
    if (button.classList.contains("sug-reject")) return sugDecide("reject", button.dataset.s);
    const values = button.dataset.version ? { version: button.dataset.version } : {};
    return htmx.ajax("POST", url, { source: button, target: "#workspace", swap: "outerHTML", values: values });
  }

  /** Accept or reject suggestion `id`; an accept sends the selection when it adjusts the span. */
  function sugDecide(kind, id) {
    const workspace = document.getElementById("workspace");
    const mark = document.getElementById("s-" + id);
    if (!workspace || !mark) return;
    const url = workspace.dataset.acceptUrl.replace("/0/accept/", "/" + id + "/" + kind + "/");
    const values = {};
    const span = selectionSpan();
    const start = Number(mark.dataset.start);
    const end = Number(mark.dataset.end);
    const adjusted = span && span.start < end && span.end > start && (span.start !== start || span.end !== end);
    if (kind === "accept" && adjusted) {
      values.start = span.start;
      values.end = span.end;
      values.quote = span.quote;
    }
    htmx.ajax("POST", url, { source: workspace, target: "#workspace", swap: "outerHTML", values: values });
  }

  // Chrome starts no selection when a drag begins on the first character of a focusable
  // element (the highlights are, for the keyboard): unfocusable for the length of the press.
  document.addEventListener("mousedown", function (event) {
    const mark = event.button === 0 && event.target.closest && event.target.closest("#doc-text mark[tabindex]");
    if (!mark) return;
    const tabindex = mark.getAttribute("tabindex");
    mark.removeAttribute("tabindex");
    document.addEventListener(
      "mouseup",
      function () {
        mark.setAttribute("tabindex", tabindex);
      },
      { once: true },
    );
  });

  document.addEventListener("click", function (event) {
    const t = event.target;
    const actionBtn = t.closest(".sidebar button[data-url]");
    if (actionBtn) return rowAction(actionBtn);
    const labelBtn = t.closest(".label-btn");
    if (labelBtn) return tag(labelBtn.dataset.label);
    const annLink = t.closest(".ann-link");
    if (annLink) {
      event.preventDefault();
      return flash('#doc-text mark[data-a="' + annLink.dataset.a + '"]');
    }
    const sugLink = t.closest(".sug-link");
    if (sugLink) {
      event.preventDefault();
      const mark = document.getElementById("s-" + sugLink.dataset.s);
      if (mark) focusSug(mark);
      return;
    }
    const sugMark = t.closest("#doc-text mark.sug");
    if (sugMark && window.getSelection().isCollapsed) {
      const first = document.getElementById("s-" + sugMark.dataset.s);
      if (first) focusSug(first);
      return;
    }
    if (t.id === "show-shortcuts") document.getElementById("shortcuts-dialog").showModal();
  });

  document.addEventListener("change", function (event) {
    if (event.target.id === "snap-words") {
      localStorage.setItem("snapWords", event.target.checked ? "1" : "");
    }
    if (event.target.name === "label-filter") {
      const page = document.querySelector(".docpage");
      if (page) page.dataset.filter = event.target.value;
    }
  });

  // A poll answered while, or after, one of the reviewer's own changes was sent may carry the
  // state from before that change: such an answer is dropped (the next poll is 5 s away).
  let changesSent = 0;
  let changesInFlight = 0;
  function isPoll(config) {
    return Boolean(config && config.elt && config.elt.classList.contains("poller"));
  }
  function isChange(config) {
    return Boolean(config && !isPoll(config) && config.verb && config.verb !== "get");
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    const config = event.detail.requestConfig;
    if (isPoll(config)) config.elt.dataset.changesSeen = String(changesSent);
    if (isChange(config)) {
      changesSent += 1;
      changesInFlight += 1;
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (isChange(event.detail.requestConfig)) changesInFlight -= 1;
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    // A poll must not wipe a selection in progress or an open edit form; it retries in 5 s.
    const config = event.detail.requestConfig;
    if (!isPoll(config)) return;
    const stale = changesInFlight > 0 || config.elt.dataset.changesSeen !== String(changesSent);
    const editing = document.querySelector(".ann-row.editing");
    if (stale || selectionSpan() || editing) event.detail.shouldSwap = false;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    const elt = event.detail.elt;
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (elt.id === "annotate-form" && status === 200) {
      elt.reset();
      lastSpan = null;
      window.getSelection().removeAllRanges();
      info("");
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    const snap = document.getElementById("snap-words");
    if (snap) snap.checked = localStorage.getItem("snapWords") === "1";
    if (currentSug) {
      document.querySelectorAll('[data-s="' + currentSug + '"]').forEach(function (el) {
        el.classList.add("current-sug");
      });
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    const box = document.getElementById("live-error");
    if (!box) return;
    const status = event.detail.xhr.status;
    box.textContent =
      status === 403
        ? "You are not allowed to do that (403)."
        : "The server refused the request (" + status + "). Reload the page and try again.";
    box.hidden = false;
  });

  document.addEventListener("htmx:sendError", function () {
    const box = document.getElementById("live-error");
    if (box) {
      box.textContent = "Could not reach the server; your last change was not saved.";
      box.hidden = false;
    }
  });

  // ---- Queue page --------------------------------------------------------------------------

  function queueKeys(event) {
    if (event.key !== "j" && event.key !== "k") return;
    const links = Array.from(document.querySelectorAll(".queue-row a.open"));
    if (!links.length) return;
    event.preventDefault();
    let i = links.indexOf(document.activeElement);
    i = i < 0 ? (event.key === "j" ? 0 : links.length - 1) : i + (event.key === "j" ? 1 : -1);
    const link = links[Math.min(Math.max(i, 0), links.length - 1)];
    document.querySelectorAll(".queue-row.current").forEach(function (r) {
      r.classList.remove("current");
    });
    link.closest(".queue-row").classList.add("current");
    link.focus(); // Enter follows the focused link
  }

  document.addEventListener("DOMContentLoaded", function () {
    const snap = document.getElementById("snap-words");
    if (snap) snap.checked = localStorage.getItem("snapWords") === "1";
  });
})();
