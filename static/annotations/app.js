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
      info("Selected " + (span.end - span.start) + " characters: press " + labelKeys() + ".");
    } else info("");
  });

  /** The labels' hotkeys as the toolbar offers them ("1, 2 or 3"). */
  function labelKeys() {
    const keys = Array.from(document.querySelectorAll(".label-btn[data-shortcut]"))
      .map(function (b) {
        return b.dataset.shortcut;
      })
      .filter(Boolean);
    if (keys.length < 2) return keys.join("") || "a label button";
    return keys.slice(0, -1).join(", ") + " or " + keys[keys.length - 1];
  }

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
    showPending(span, label);
    // Each tag carries its own span and label: a tag pressed while another is saving waits
    // in the form's queue (hx-sync "queue all") instead of replacing the one waiting before it.
    htmx.ajax("POST", form.getAttribute("hx-post"), {
      source: form,
      swap: "none",
      values: { start: span.start, end: span.end, quote: span.quote, label: label },
    });
  }

  // ---- Pending highlights: shown on the key press, before the server answers --------------
  // The CSS Custom Highlight API paints a Range without touching the DOM (the saved
  // highlight's <mark> replaces it); labels.css styles ::highlight(pending-<slug>).

  let pendingSeq = 0;
  const pending = []; // {seq, name, range}

  function showPending(span, label) {
    if (!window.CSS || !CSS.highlights || typeof Highlight === "undefined") return;
    const root = textRoot();
    const text = root.textContent;
    const a = u16ToDom(root, cpToU16(text, span.start));
    const b = u16ToDom(root, cpToU16(text, span.end));
    const range = document.createRange();
    range.setStart(a.node, a.offset);
    range.setEnd(b.node, b.offset);
    const name = "pending-" + label;
    let highlight = CSS.highlights.get(name);
    if (!highlight) {
      highlight = new Highlight();
      CSS.highlights.set(name, highlight);
    }
    highlight.add(range);
    pending.push({ seq: ++pendingSeq, name: name, range: range });
  }

  /** Drop the pending highlights sent up to `seq` (their answer came, saved or refused). */
  function clearPending(seq) {
    while (pending.length && pending[0].seq <= seq) {
      const entry = pending.shift();
      const highlight = CSS.highlights.get(entry.name);
      if (highlight) {
        highlight.delete(entry.range);
        if (!highlight.size) CSS.highlights.delete(entry.name);
      }
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.id === "annotate-form") event.detail.xhr.pendingUpTo = pendingSeq;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    const xhr = event.detail.xhr;
    if (event.detail.elt.id === "annotate-form" && xhr) clearPending(xhr.pendingUpTo || 0);
  });

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

  // Mirrors RESERVED_KEYS in annotator/models/annotations.py.
  const RESERVED = new Set(["a", "r", "j", "k", "n", "?", "/"]);

  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable]");
  }

  // ---- Reshaping a focused annotation by keyboard ---------------------------------------

  let reshapeEdge = "end";
  let reshapeBusy = false;

  function focusedAnnotation() {
    const el = document.activeElement;
    return el && el.matches && el.matches("#doc-text mark.ann[data-first][data-edit]") ? el : null;
  }

  /** The code point `cp` moved one character (or word) in `dir`; combining marks stay whole. */
  function stepCp(text, cp, dir, word) {
    let i = cpToU16(text, cp);
    const step = function () {
      if (dir > 0 && i < text.length) i += isLow(text, i + 1) ? 2 : 1;
      else if (dir < 0 && i > 0) i -= isLow(text, i - 1) ? 2 : 1;
    };
    const w = function (k) {
      return WORD.test(text[k]);
    };
    if (!word) step();
    else if (dir > 0) {
      while (i < text.length && !w(i)) step(); // to the next word, then over it
      while (i < text.length && w(i)) step();
    } else {
      while (i > 0 && !w(i - 1)) step();
      while (i > 0 && w(i - 1)) step();
    }
    while (i > 0 && i < text.length && MARK.test(text[i])) i += dir > 0 ? 1 : -1;
    return u16ToCp(text, i);
  }

  const reshapeQueue = []; // key presses made while the previous step was being saved

  function reshape(mark, dir, word) {
    if (reshapeBusy) return reshapeQueue.push([dir, word]);
    const text = textRoot().textContent;
    let start = Number(mark.dataset.start);
    let end = Number(mark.dataset.end);
    if (reshapeEdge === "start") start = stepCp(text, start, dir, word);
    else end = stepCp(text, end, dir, word);
    reshapeTo(mark, start, end);
  }

  /** Save the annotation of `mark` with new bounds (code points); then focus it again. */
  function reshapeTo(mark, start, end) {
    if (start >= end) return info("A span needs at least one character.");
    const workspace = document.getElementById("workspace");
    const id = mark.dataset.a;
    const url = workspace.dataset.reshapeUrl.replace("/0/reshape/", "/" + id + "/reshape/");
    reshapeBusy = true;
    htmx
      .ajax("POST", url, {
        source: workspace,
        swap: "none",
        values: { version: mark.dataset.version, start: start, end: end },
      })
      .then(function () {
        // After the swaps have settled: focus the new highlight, then the next queued press.
        setTimeout(function () {
          reshapeBusy = false;
          const fresh = document.getElementById("a-" + id);
          // Back to the highlight, unless the reviewer has moved on meanwhile (e.g. to search).
          const active = document.activeElement;
          const lost = !active || active === document.body || active === fresh;
          if (fresh && lost) fresh.focus({ preventScroll: true });
          const next = reshapeQueue.shift();
          if (fresh && next) reshape(fresh, next[0], next[1]);
          else reshapeQueue.length = 0;
        }, 40);
      })
      .catch(function () {
        reshapeBusy = false;
        reshapeQueue.length = 0;
      });
  }

  document.addEventListener("keydown", function (event) {
    const mark = focusedAnnotation();
    const arrow = event.altKey && event.shiftKey && (event.key === "ArrowLeft" || event.key === "ArrowRight");
    const dir = event.key === "ArrowRight" ? 1 : -1;
    if (arrow && !mark && reshapeBusy) {
      // The highlight is being replaced by the saved one: this press applies to it next.
      event.preventDefault();
      return reshapeQueue.push([dir, event.ctrlKey]);
    }
    if (mark && arrow) {
      event.preventDefault();
      if (reshapeBusy) return reshapeQueue.push([dir, event.ctrlKey]);
      return reshape(mark, dir, event.ctrlKey);
    }
    if (mark && (event.key === "[" || event.key === "]")) {
      event.preventDefault();
      reshapeEdge = event.key === "[" ? "start" : "end";
      return info("Alt+Shift+←/→ now moves the " + reshapeEdge + " (with Ctrl: by word).");
    }
  });

  // ---- Drag handles: the focused highlight's start and end can be dragged with the mouse

  const handles = {};

  function handle(edge) {
    if (handles[edge]) return handles[edge];
    const el = document.createElement("span");
    el.className = "reshape-handle " + edge;
    el.dataset.edge = edge;
    el.setAttribute("aria-hidden", "true");  // the keyboard has Alt+Shift+arrows
    el.title = "Drag to move the " + edge;
    el.hidden = true;
    document.body.append(el);
    handles[edge] = el;
    return el;
  }

  function hideHandles() {
    ["start", "end"].forEach(function (edge) { handle(edge).hidden = true; });
  }

  const RTL_CHAR = /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;

  /** The box of the first (or last) character of `mark`'s span and whether it runs right to
   left: its own script decides (an Arabic quote in an English paragraph), else the page. */
  function edgeChar(mark, last) {
    const root = textRoot();
    const text = root.textContent;
    const u16 = cpToU16(text, Number(last ? mark.dataset.end : mark.dataset.start));
    const from = last ? u16 - (isLow(text, u16 - 1) ? 2 : 1) : u16;
    const to = last ? u16 : from + (isLow(text, from + 1) ? 2 : 1);
    const a = u16ToDom(root, from);
    const range = document.createRange();
    range.setStart(a.node, a.offset);
    range.setEnd(u16ToDom(root, to).node, u16ToDom(root, to).offset);
    // (a boundary at a text node's end also yields an empty box there: skip it)
    const rects = Array.from(range.getClientRects()).filter(function (r) {
      return r.width > 0;
    });
    const rect = rects[last ? rects.length - 1 : 0];
    const ch = text.slice(from, to);
    const parent = a.node.parentElement || root;
    const rtl = RTL_CHAR.test(ch) || (!/\p{L}/u.test(ch) && getComputedStyle(parent).direction === "rtl");
    return { rect: rect, rtl: rtl };
  }

  function placeHandles(mark) {
    const first = edgeChar(mark, false);
    const last = edgeChar(mark, true);
    if (!first.rect || !last.rect) return hideHandles();
    const put = function (edge, rect, atRight) {
      const el = handle(edge);
      el.dataset.a = mark.dataset.a;
      el.style.left = window.scrollX + (atRight ? rect.right : rect.left) - 4 + "px";
      el.style.top = window.scrollY + rect.top + "px";
      el.style.height = rect.height + "px";
      el.hidden = false;
    };
    // A span starts on its first character's leading edge and ends on its last one's
    // trailing edge: the right ones in right-to-left text.
    put("start", first.rect, first.rtl);
    put("end", last.rect, !last.rtl);
  }

  document.addEventListener("focusin", function (event) {
    if (focusedAnnotation()) placeHandles(event.target);
    else if (!event.target.closest || !event.target.closest(".reshape-handle")) hideHandles();
  });
  document.addEventListener("htmx:afterSettle", function () {
    const mark = focusedAnnotation();
    if (mark) placeHandles(mark);
    else hideHandles();
  });

  let dragging = null;

  /** The character box under (x, y) among UTF-16 offsets [from, to) of the text, or null. */
  function charAt(root, text, from, to, x, y) {
    for (let i = Math.max(from, 0); i < Math.min(to, text.length); i++) {
      if (isLow(text, i)) continue;
      const end = i + (isLow(text, i + 1) ? 2 : 1);
      const a = u16ToDom(root, i);
      const b = u16ToDom(root, end);
      const range = document.createRange();
      range.setStart(a.node, a.offset);
      range.setEnd(b.node, b.offset);
      for (const r of range.getClientRects()) {
        if (r.width > 0 && x >= r.left && x < r.right && y >= r.top && y < r.bottom) {
          return { at: i, end: end, rect: r, node: b.node };
        }
      }
    }
    return null;
  }

  /** The text boundary (UTF-16) a handle dropped at (x, y) stands for. The caret the browser
   * reports is ambiguous where directions meet (an Arabic quote in an English line): take the
   * character under the pointer and the side of it the pointer is on, in its own direction. */
  function boundaryAt(root, text, caret, x, y) {
    let u16 = domToU16(root, caret.startContainer, caret.startOffset);
    const para = caret.startContainer.parentElement && caret.startContainer.parentElement.closest(".para");
    const hit =
      charAt(root, text, u16 - 2, u16 + 2, x, y) ||
      (para ? charAt(root, text, domToU16(root, para, 0), domToU16(root, para, para.childNodes.length), x, y) : null);
    if (hit) {
      const ch = text.slice(hit.at, hit.end);
      const parent = hit.node.parentElement || root;
      const rtl = RTL_CHAR.test(ch) || (!/\p{L}/u.test(ch) && getComputedStyle(parent).direction === "rtl");
      const mid = (hit.rect.left + hit.rect.right) / 2;
      return rtl === x > mid ? hit.at : hit.end;
    }
    if (u16 > 0 && u16 < text.length && isLow(text, u16)) u16--; // never inside a pair
    return u16;
  }

  document.addEventListener("mousedown", function (event) {
    const el = event.target.closest && event.target.closest(".reshape-handle");
    if (!el || event.button !== 0) return;
    event.preventDefault();  // keep the highlight focused, start no text selection
    dragging = el;
    el.classList.add("dragging");
  });
  document.addEventListener("mousemove", function (event) {
    if (!dragging) return;
    dragging.style.left = window.scrollX + event.clientX - 4 + "px";
  });
  document.addEventListener("mouseup", function (event) {
    if (!dragging) return;
    const el = dragging;
    dragging = null;
    el.classList.remove("dragging");
    const root = textRoot();
    const mark = document.getElementById("a-" + el.dataset.a);
    el.hidden = true;  // the handle follows the pointer: look at the text beneath it
    const caret = document.caretRangeFromPoint(event.clientX, event.clientY);
    if (!root || !mark || !caret || !root.contains(caret.startContainer)) {
      return mark ? placeHandles(mark) : hideHandles();
    }
    const text = root.textContent;
    const u16 = boundaryAt(root, text, caret, event.clientX, event.clientY);
    const cp = u16ToCp(text, u16);
    const start = el.dataset.edge === "start" ? cp : Number(mark.dataset.start);
    const end = el.dataset.edge === "end" ? cp : Number(mark.dataset.end);
    if (start === Number(mark.dataset.start) && end === Number(mark.dataset.end)) return placeHandles(mark);
    reshapeTo(mark, start, end);
  });

  // ---- Undo and redo (Ctrl+Z / Ctrl+Shift+Z): each step is a server call with the same checks

  const undoStack = [];
  const redoStack = [];
  let replaying = false;
  let lastStatus = 0;

  let replayed = null; // the step the server reported for the call being replayed

  document.addEventListener("annotation-step", function (event) {
    if (replaying) {
      replayed = event.detail;
      return;
    }
    undoStack.push(event.detail);
    redoStack.length = 0;
    undoButtons();
  });

  /** The toolbar's Undo and Redo buttons: disabled (greyed) when there is nothing to do. */
  function undoButtons() {
    const undo = document.getElementById("undo-btn");
    const redo = document.getElementById("redo-btn");
    if (undo) undo.disabled = !undoStack.length;
    if (redo) redo.disabled = !redoStack.length;
  }

  /** Where the reviewer is: the page's and the sidebar's scroll, the focused element. */
  function placeNow() {
    const side = document.querySelector(".sidebar");
    const active = document.activeElement;
    return {
      x: window.scrollX,
      y: window.scrollY,
      side: side ? side.scrollTop : 0,
      focus: active && active.id && active !== document.body ? active.id : "",
    };
  }

  /** After a replayed step: focus what it changed (else what had focus), scroll nowhere. */
  function placeBack(place, step, back) {
    let id = place.focus;
    if (step.kind === "decision") {
      const annotation = !back && step.decision === "accept" && replayed && replayed.annotation;
      id = annotation ? "a-" + annotation : back ? "s-" + step.id : id;
    } else if (document.getElementById("a-" + step.id)) id = "a-" + step.id;
    const target = (id && document.getElementById(id)) || document.getElementById("ann-heading");
    if (target && target !== document.activeElement) target.focus({ preventScroll: true });
    const side = document.querySelector(".sidebar");
    if (side) side.scrollTop = place.side;
    window.scrollTo(place.x, place.y);
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    lastStatus = event.detail.xhr ? event.detail.xhr.status : 0;
  });

  function versionOf(id) {
    const mark = document.getElementById("a-" + id);
    return mark ? mark.dataset.version : "";
  }

  /** The server call that undoes (back) or redoes (forward) a step: [action, values]. */
  function callFor(step, back) {
    const v = { version: versionOf(step.id) };
    const bounds = back ? step.from : step.to;
    switch (step.kind) {
      case "create":
      case "restore":
        return back ? ["delete", v] : ["restore", {}];
      case "delete":
        return back ? ["restore", {}] : ["delete", v];
      case "reshape":
        return ["reshape", Object.assign(v, { start: bounds[0], end: bounds[1] })];
      case "edit":
        return ["edit", Object.assign(v, bounds)];
      case "decision": // accept/reject: undo reopens the suggestion, redo decides again
        if (step.decision !== "accept") return back ? ["undo", {}] : [step.decision, {}];
        // An accept's annotation is checked (its version) and, redone, restored with its id.
        return back
          ? ["undo", { version: versionOf(step.annotation) }]
          : ["restore", { annotation: step.annotation }];
    }
    return null;
  }

  function urlFor(step, action, workspace) {
    if (step.kind === "decision") {
      return workspace.dataset.acceptUrl.replace("/0/accept/", "/" + step.id + "/" + action + "/");
    }
    return workspace.dataset.reshapeUrl.replace("/0/reshape/", "/" + step.id + "/" + action + "/");
  }

  // Presses made while a step is replayed wait for it: one server call at a time, in order.
  let replays = Promise.resolve();
  function replay(back) {
    replays = replays.then(function () {
      return replayOne(back);
    });
  }

  function replayOne(back) {
    const from = back ? undoStack : redoStack;
    const to = back ? redoStack : undoStack;
    const step = from.pop();
    undoButtons();
    if (!step) return info(back ? "Nothing to undo." : "Nothing to redo.");
    const call = callFor(step, back);
    const workspace = document.getElementById("workspace");
    if (!call || !workspace) return;
    const url = urlFor(step, call[0], workspace);
    const place = placeNow();
    replaying = true;
    replayed = null;
    return htmx
      .ajax("POST", url, { source: workspace, swap: "none", values: call[1] })
      .then(function () {
        if (lastStatus === 200) to.push(step);
        else from.length = 0; // the page was out of date: the server's answer shows it now
        // After the swaps have settled (htmx settles 20 ms after the swap).
        return new Promise(function (resolve) {
          setTimeout(resolve, 40);
        });
      })
      .then(function () {
        if (lastStatus === 200) placeBack(place, step, back);
      })
      .catch(function () {
        from.length = 0;
      })
      .finally(function () {
        replaying = false;
        undoButtons();
      });
  }

  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || typing(event.target) || !textRoot()) return;
    const key = event.key.toLowerCase();
    if (key === "z" || key === "y") {
      event.preventDefault();
      replay(key === "z" && !event.shiftKey);
    }
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("#doc-text mark.ann[data-first][data-edit]")) {
      info("Alt+Shift+←/→ moves the " + reshapeEdge + " ([ start, ] end; Ctrl: by word).");
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    if (document.body.classList.contains("page-queue")) return queueKeys(event);
    if (!textRoot()) return;
    const key = event.key;
    // The page's own keys come first: a label can never take them (the server refuses it too).
    const labelBtn = RESERVED.has(key.toLowerCase())
      ? null
      : document.querySelector('.label-btn[data-shortcut="' + CSS.escape(key) + '"]');
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
    if (button.classList.contains("delete")) keepFocusAfterRemoving(button.closest("li"));
    return htmx.ajax("POST", url, { source: button, swap: "none", values: values });
  }

  // After a delete, keyboard focus goes to the next row (else the previous, else the heading),
  // never to the page body.
  let focusAfter = null;
  function keepFocusAfterRemoving(row) {
    if (!row) return;
    const next = row.nextElementSibling || row.previousElementSibling;
    focusAfter = next && next.id ? "#" + next.id + " a" : "#ann-heading";
  }

  /** Rows a write sent (#sidebar-incoming): replace their namesakes or insert in text order. */
  function applyIncoming() {
    const box = document.getElementById("sidebar-incoming");
    if (!box || !box.firstElementChild) return;
    const rows = Array.from(box.children);
    box.replaceChildren(); // detached first, so getElementById finds the page's own rows
    rows.forEach(function (row) {
      if (row.dataset.remove) {
        const gone = document.getElementById(row.dataset.remove);
        if (gone) gone.remove();
        return;
      }
      const old = document.getElementById(row.id);
      if (old) return old.replaceWith(row);
      const list = document.getElementById(row.classList.contains("sug-row") ? "sug-list" : "ann-list");
      if (!list) return;
      const key = [Number(row.dataset.start), Number(row.dataset.end), Number(row.id.replace(/\D+/g, ""))];
      const before = Array.from(list.children).find(function (other) {
        const k = [Number(other.dataset.start), Number(other.dataset.end), Number(other.id.replace(/\D+/g, ""))];
        return k[0] > key[0] || (k[0] === key[0] && (k[1] > key[1] || (k[1] === key[1] && k[2] > key[2])));
      });
      // A capped list shows the first rows only: a row past its end stays out.
      if (before) list.insertBefore(row, before);
      else if (!list.dataset.capped) list.appendChild(row);
    });
    if (focusAfter) {
      const target = document.querySelector(focusAfter) || document.getElementById("ann-heading");
      focusAfter = null;
      if (target) target.focus({ preventScroll: false });
    }
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
    htmx.ajax("POST", url, { source: workspace, swap: "none", values: values });
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
    const annMark = t.closest("#doc-text mark.ann");
    if (annMark && window.getSelection().isCollapsed) {
      // A click on a highlight focuses it: its handles and Alt+Shift+arrows then reshape it.
      const first = document.getElementById("a-" + annMark.dataset.a);
      if (first) first.focus({ preventScroll: true });
      return;
    }
    const undoBtn = t.closest("#undo-btn, #redo-btn");
    if (undoBtn) return replay(undoBtn.id === "undo-btn");
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
      const search = document.getElementById("doc-search");
      const phrase = search ? search.value : "";
      elt.reset(); // the note and evidence go; the search phrase stays
      if (search) search.value = phrase;
      lastSpan = null;
      window.getSelection().removeAllRanges();
      info("");
    }
  });

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "sidebar-incoming") applyIncoming();
  });

  document.addEventListener("htmx:afterSettle", function () {
    applyIncoming();
    const search = document.getElementById("doc-search");
    if (search && search.value.trim() && textRoot()) {
      // Swapped paragraphs hold new text nodes: find the matches again.
      matches = findRanges(search.value.trim());
      matchAt = Math.min(matchAt, matches.length - 1);
      showMatches();
    }
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

  // ---- Search in the document (/): matches highlighted without touching the DOM --------

  let matches = [];
  let matchAt = -1;

  function searchInfo(message) {
    const el = document.getElementById("search-info");
    if (el) el.textContent = message;
  }

  /** Ranges of every case-insensitive occurrence of `phrase` in the text. */
  function findRanges(phrase) {
    const root = textRoot();
    const text = root.textContent.toLowerCase();
    const needle = phrase.toLowerCase();
    const found = [];
    for (let i = text.indexOf(needle); needle && i >= 0; i = text.indexOf(needle, i + needle.length)) {
      const a = u16ToDom(root, i);
      const b = u16ToDom(root, i + needle.length);
      const range = document.createRange();
      range.setStart(a.node, a.offset);
      range.setEnd(b.node, b.offset);
      found.push(range);
    }
    return found;
  }

  function showMatches() {
    if (!window.CSS || !CSS.highlights) return;
    CSS.highlights.set("search", new Highlight(...matches));
    if (matchAt >= 0) CSS.highlights.set("search-current", new Highlight(matches[matchAt]));
    else CSS.highlights.delete("search-current");
  }

  /** Select match `matchAt` in the text, so a label's key tags it. */
  function selectMatch() {
    const range = matches[matchAt];
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range.cloneRange());
    range.startContainer.parentElement.scrollIntoView({ block: "center" });
    searchInfo("Match " + (matchAt + 1) + " of " + matches.length + ": press a label's key to tag it.");
  }

  document.addEventListener("input", function (event) {
    if (event.target.id !== "doc-search") return;
    matches = findRanges(event.target.value.trim());
    matchAt = -1;
    showMatches();
    const found = matches.length === 1 ? "1 match" : matches.length + " matches";
    searchInfo(event.target.value.trim() ? found : "");
  });

  document.addEventListener("keydown", function (event) {
    const input = document.getElementById("doc-search");
    if (!input) return;
    if (event.target === input && event.key === "Enter") {
      event.preventDefault();
      // Found again each time: a write may have swapped the paragraphs (new text nodes).
      matches = findRanges(input.value.trim());
      if (!matches.length) return searchInfo("No match.");
      matchAt = (matchAt + (event.shiftKey ? -1 : 1) + matches.length) % matches.length;
      showMatches();
      input.blur(); // the keys now act on the text: a label's key tags the selected match
      selectMatch();
    } else if (event.target === input && event.key === "Escape") {
      input.value = "";
      matches = [];
      showMatches();
      searchInfo("");
      input.blur();
    } else if (event.key === "/" && !typing(event.target) && !event.ctrlKey && !event.altKey) {
      event.preventDefault();
      input.focus();
      input.select();
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
