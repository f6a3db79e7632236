// The annotator's workbench (templates/annotation/workbench.html). One <canvas> draws the
// image and every shape, so 200 shapes cost one repaint, not 200 DOM nodes. Drafts live
// in localStorage per assignment and failed submits in an outbox, so a reload or a
// dropped link loses nothing. Plain ES2019, no build step, no outside hosts.
// Two coordinate systems: image px (what the API speaks) and stage px (CSS px of the
// canvas); `view` maps one to the other: stage = image * s + (x, y).
// With `edit` in its config the same editor works on one given annotation instead (a
// reviewer's fix, a supervisor's gold answer): no lease, heartbeat, draft or outbox; Enter
// posts it through a form of the host page, Esc leaves (see templates/annotation/
// workbench_editor.html).
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const CFG = JSON.parse($("workbench-config").textContent);
  const T = JSON.parse($("workbench-i18n").textContent);
  const EDIT = CFG.edit || null;
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key]);
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  const clone = (o) => JSON.parse(JSON.stringify(o));
  const num = (v) => typeof v === "number" && isFinite(v);
  const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);

  const root = $("wb"), stage = $("wb-stage"), cv = $("wb-canvas"), ctx = cv.getContext("2d");
  const DRAWING = ["bbox", "polygon", "keypoints"];
  const IDLE = (CFG.idle_seconds || 300) * 1000;
  const GRIP = 7; // stage px within which a handle, a vertex or the first point is hit
  const MAX_UNDO = 100;

  // Everything about the open assignment; replaced wholesale by begin().
  const st = {
    a: null, mode: "loading", busy: false,
    shapes: [], cls: null, tool: "select", label: 0,
    sel: -1, selV: null, // selected shape; its selected vertex (index) or key point (name)
    hidden: false, undo: [], redo: [],
    poly: null, // polygon being drawn: [[x, y], ...]
    kp: -1, kpNext: 0, // key point set being placed, and which name comes next
    errs: new Set(), // shape indexes the server refused
  };
  let labels = [], kpNames = [], tools = [], colours = {};
  const view = { s: 1, x: 0, y: 0, min: 0.01, fit: true };
  let img = null, W = 0, H = 0, dpr = 1, raf = 0, loaded = 0, prefetched = [];
  let drag = null, mouse = null, spaceDown = false;
  let spent = 0, lastAct = Date.now(), activeSinceBeat = false, lastSent = "";
  let beatTimer = 0, retryTimer = 0, noteTimer = 0, shownAt = 0;

  // ---- storage: drafts per assignment, and the outbox of submits not yet delivered ----
  const PREFIX = `aidou.wb.${CFG.user}.`;
  const store = {
    get(key) {
      try { return JSON.parse(localStorage.getItem(PREFIX + key)); } catch (e) { return null; }
    },
    set(key, value) {
      try { localStorage.setItem(PREFIX + key, JSON.stringify(value)); return true; } catch (e) { return false; }
    },
    del(key) {
      try { localStorage.removeItem(PREFIX + key); } catch (e) { /* storage off: nothing to remove */ }
    },
  };
  const draftKey = (id) => "draft." + id;
  const outbox = () => store.get("outbox") || [];
  const outboxHas = (id) => outbox().some((entry) => entry.id === id);

  function outboxAdd(id, body) {
    const box = outbox().filter((entry) => entry.id !== id);
    box.push({ id, body, t: Date.now() });
    return store.set("outbox", box);
  }

  function forgetOldDrafts() {
    const old = Date.now() - 14 * 864e5;
    try {
      for (let i = localStorage.length - 1; i >= 0; i--) {
        const key = localStorage.key(i);
        if (!key || !key.startsWith(PREFIX + "draft.")) continue;
        const draft = store.get(key.slice(PREFIX.length));
        if (!draft || !(draft.t > old)) localStorage.removeItem(key);
      }
    } catch (e) { /* storage off */ }
  }

  function saveLocal() {
    if (!st.a || EDIT) return;
    const draft = { shapes: st.shapes, class: st.cls, ms: Math.round(spent), t: Date.now() };
    setSave(store.set(draftKey(st.a.id), draft) ? T.savedLocal : T.storageFull);
  }

  // ---- HTTP ----
  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    const field = document.querySelector("[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  const url = (name, id) => CFG.api[name].replace("{id}", id);
  // Throws only when no answer came back (offline, DNS, a cut link).
  async function post(to, body) {
    const r = await fetch(to, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), Accept: "application/json" },
      body: JSON.stringify(body || {}),
    });
    let data = null;
    if (r.status !== 204) {
      try { data = await r.json(); } catch (e) { /* a proxy's HTML error page */ }
    }
    return { status: r.status, data };
  }
  // A gateway's answer means the link to the app is down, not that the work is wrong.
  const linkDown = (status) => status === 502 || status === 503 || status === 504;
  const message = (data) => {
    if (!data) return "";
    if (typeof data === "string") return data;
    return data.detail || Object.values(data).flat().join(" ");
  };

  // ---- page state ----
  function setMode(mode) {
    st.mode = mode;
    root.dataset.mode = mode;
    ["loading", "empty", "wait"].forEach((name) => {
      const panel = $("wb-" + name);
      if (panel) panel.hidden = mode !== name; // the editor of one annotation has only "loading"
    });
    if (EDIT) root.hidden = mode === "closed";
    if (mode !== "work") stage.dataset.ready = "0";
  }

  function note(text, kind) {
    const el = $("wb-note");
    el.textContent = text;
    el.className = "wb-note " + (kind || "");
    el.hidden = !text;
    clearTimeout(noteTimer);
    if (text) noteTimer = setTimeout(() => { el.hidden = true; }, kind === "ok" ? 2500 : 9000);
  }

  function link(ok) {
    $("wb-offline").hidden = ok && !outbox().length;
  }

  const setSave = (text) => { $("wb-save").textContent = text; };

  function clock(ms) {
    const s = Math.floor(ms / 1000), m = Math.floor(s / 60);
    return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`
      : `${m}:${String(s % 60).padStart(2, "0")}`;
  }

  function status() {
    if (EDIT) return; // no lease, no clock
    const a = st.a;
    if (!a) {
      ["wb-project", "wb-lease", "wb-time", "wb-count"].forEach((id) => { $(id).textContent = ""; });
      return;
    }
    const until = new Date(a.lease_expires_at);
    let lease = T.leaseOver;
    if (until > Date.now()) {
      let time;
      const shown = { hour: "2-digit", minute: "2-digit", timeZone: CFG.time_zone || undefined };
      try { time = until.toLocaleTimeString(document.documentElement.lang, shown); }
      catch (e) { time = until.toLocaleTimeString(); }
      lease = fmt(T.lease, { time });
    }
    $("wb-lease").textContent = lease;
    $("wb-time").textContent = fmt(T.active, { time: clock(spent + Math.min(Date.now() - lastAct, IDLE)) });
  }

  // Active time: the gap since the last sign of work counts, up to the idle cut-off.
  function act() {
    const t = Date.now();
    spent += Math.min(t - lastAct, IDLE);
    lastAct = t;
    activeSinceBeat = true;
  }

  // ---- loading work ----
  async function loadNext() {
    clearTimeout(retryTimer);
    stopBeat();
    st.a = null;
    img = null;
    drag = null;
    setMode("loading");
    status();
    paintNow();
    await flushOutbox();
    let r;
    try { r = await post(CFG.api.next); } catch (e) { link(false); return wait(T.offline); }
    if (r.status === 204) {
      setMode("empty");
      retryTimer = setTimeout(loadNext, 60000);
      return;
    }
    if (r.status !== 200 || !r.data) {
      if (linkDown(r.status)) link(false);
      return wait(linkDown(r.status) ? T.offline : message(r.data) || fmt(T.failed, { status: r.status }));
    }
    // The server still holds this lease open because our submit of it has not arrived.
    if (outboxHas(r.data.id)) return wait(T.offline);
    begin(r.data);
  }

  function wait(text) {
    $("wb-wait-text").textContent = text;
    setMode("wait");
    retryTimer = setTimeout(loadNext, 15000);
  }

  function tidyBox(s) {
    const x = Math.min(s.x, s.x + s.w), y = Math.min(s.y, s.y + s.h);
    return { type: "bbox", label: s.label, x, y, w: Math.abs(s.w), h: Math.abs(s.h) };
  }

  // Only well-formed shapes come in, whatever the draft or prefill held; key point sets
  // get every schema name.
  function tidy(list) {
    const out = [];
    for (const s of Array.isArray(list) ? list : []) {
      if (!s || typeof s !== "object") continue;
      if (s.type === "bbox" && [s.x, s.y, s.w, s.h].every(num)) out.push(tidyBox(s));
      else if (s.type === "polygon" && Array.isArray(s.points) && s.points.length >= 3
        && s.points.every((p) => Array.isArray(p) && num(p[0]) && num(p[1]))) {
        out.push({ type: "polygon", label: s.label, points: s.points.map((p) => [p[0], p[1]]) });
      } else if (s.type === "keypoints" && s.points && typeof s.points === "object") {
        const points = {};
        for (const name of kpNames) {
          const p = s.points[name];
          const ok = Array.isArray(p) && num(p[0]) && num(p[1]) && [0, 1, 2].includes(p[2]);
          points[name] = ok && p[2] ? [p[0], p[1], p[2]] : [0, 0, 0];
        }
        out.push({ type: "keypoints", label: s.label, points });
      }
    }
    return out;
  }

  // Work a reviewer sent back comes with their reasons: shown above the image until submitted.
  function showRework(rework) {
    if (EDIT) return;
    $("wb-rework").hidden = !rework;
    if (!rework) return;
    $("wb-rework-reasons").replaceChildren(...rework.reasons.map((reason) => {
      const li = document.createElement("li");
      li.textContent = reason;
      return li;
    }));
    $("wb-rework-comment").textContent = rework.comment || "";
  }

  function begin(a) {
    const schema = a.project.label_schema || {};
    labels = schema.labels || [];
    kpNames = schema.keypoints || [];
    tools = schema.tools || [];
    colours = {};
    labels.forEach((l) => { colours[l.name] = l.color; });
    // The local draft is written on every change, so it is never older than the one the
    // heartbeats took to the server.
    const local = EDIT ? null : store.get(draftKey(a.id));
    const source = local || a.draft || a.prefill || {};
    Object.assign(st, {
      a, busy: false, shapes: tidy(source.shapes), cls: source.class == null ? null : source.class,
      sel: -1, selV: null, undo: [], redo: [], poly: null, kp: -1, kpNext: 0,
    });
    st.errs.clear();
    $("wb-errors").textContent = "";
    spent = (local && local.ms) || 0;
    lastAct = Date.now();
    activeSinceBeat = false;
    lastSent = a.draft ? JSON.stringify({ shapes: a.draft.shapes, class: a.draft.class }) : "";
    st.label = Math.min(st.label, Math.max(labels.length - 1, 0));
    const drawing = DRAWING.filter((t) => tools.includes(t));
    document.querySelectorAll("[data-tool]").forEach((b) => {
      b.hidden = b.dataset.tool === "select" ? !drawing.length : !drawing.includes(b.dataset.tool);
    });
    // A reviewer mostly moves what is there: the editor of one annotation starts on select.
    if (!drawing.includes(st.tool) && !(EDIT && drawing.length && st.tool === "select")) st.tool = drawing[0] || "select";
    buildLabels();
    buildClasses(tools.includes("classification") ? schema.classes || [] : null);
    $("wb-project").textContent = a.title || `${a.project.name} · ${fmt(T.batch, { name: a.batch ? a.batch.name : "" })}`;
    showRework(a.rework);
    $("wb-instr-text").textContent = a.project.instructions || "";
    $("wb-instr-none").hidden = !!a.project.instructions;
    prefetched = (a.prefetch || []).slice(0, 5).map((src) => { const i = new Image(); i.src = src; return i; });
    setTool(st.tool);
    renderList();
    setSave(local ? T.savedLocal : "");
    const image = new Image();
    image.onload = () => { if (st.a === a) { img = image; shown(a); } };
    image.onerror = () => { if (st.a === a) { note(T.imageFailed, "bad"); shown(a); } };
    image.src = a.item.image_url;
  }

  function shown(a) {
    shownAt = Date.now();
    setMode("work");
    fitView();
    paintNow();
    status();
    if (!EDIT) startBeat();
    stage.dataset.assignmentId = a.id;
    stage.dataset.loadedCount = String(++loaded);
    if (img) stage.dataset.ready = "1";
    if (EDIT && a.errors) showErrors(a.errors, st.shapes.map((_, i) => i));
  }

  // ---- editing one given annotation (CFG.edit) ----
  function openEdit() {
    if (!EDIT || st.mode === "work" || st.mode === "loading") return;
    if (st.a) { // opened before: as it was left, edits and all
      st.busy = false;
      shown(st.a);
    } else {
      setMode("loading");
      begin(EDIT);
    }
    stage.focus({ preventScroll: true });
  }

  function leave() {
    if (!EDIT || st.busy) return;
    if (EDIT.leave) { window.location.href = EDIT.leave; return; }
    drag = null;
    setMode("closed");
    note("");
    root.dispatchEvent(new CustomEvent("wb-closed", { bubbles: true }));
  }

  // Back from the page cache after a save: the form is the host page's again.
  function unput() {
    const form = $(EDIT.form);
    if (form) form.querySelectorAll("[data-wb-edit]").forEach((input) => input.remove());
  }

  // Posts the shapes through the host page's form, as a JSON text field beside EDIT.fields.
  function saveEdit(out) {
    const form = $(EDIT.form);
    if (!form) return;
    const put = (name, value) => {
      const input = document.createElement("input");
      input.dataset.wbEdit = "";
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.append(input);
    };
    unput();
    st.busy = true;
    setSave(T.sending);
    Object.keys(EDIT.fields || {}).forEach((name) => put(name, EDIT.fields[name]));
    put(EDIT.field, JSON.stringify({ shapes: out.shapes, class: st.cls }));
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  // ---- toolbar, lists ----
  function buildLabels() {
    const box = $("wb-labels");
    box.textContent = "";
    labels.forEach((label, i) => {
      const b = document.createElement("button");
      const swatch = document.createElement("span");
      b.type = "button";
      b.dataset.label = i;
      swatch.className = "wb-sw";
      swatch.style.background = label.color;
      b.append(swatch);
      if (i < 9) {
        const k = document.createElement("kbd");
        k.textContent = i + 1;
        b.append(k);
        b.setAttribute("aria-keyshortcuts", String(i + 1));
      }
      b.append(" " + label.name);
      box.append(b);
    });
    box.hidden = !labels.length;
    markLabel();
  }

  function markLabel() {
    $("wb-labels").querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", +b.dataset.label === st.label));
  }

  function buildClasses(classes) {
    const select = $("wb-class");
    $("wb-class-wrap").hidden = !classes;
    while (select.options.length > 1) select.remove(1);
    (classes || []).forEach((c) => select.add(new Option(c, c)));
    select.value = st.cls || "";
  }

  function renderList() {
    const list = document.createDocumentFragment();
    st.shapes.forEach((s, i) => {
      const li = document.createElement("li"), b = document.createElement("button");
      b.type = "button";
      b.dataset.i = i;
      b.textContent = `${i + 1}. ${s.label} · ${T[s.type]}`;
      b.style.borderLeftColor = colours[s.label] || "#888";
      if (i === st.sel) b.setAttribute("aria-current", "true");
      if (st.errs.has(i)) b.classList.add("bad");
      li.append(b);
      list.append(li);
    });
    const ol = $("wb-shapes");
    ol.textContent = "";
    ol.append(list);
    const current = ol.querySelector("[aria-current]");
    if (current) current.scrollIntoView({ block: "nearest" });
    $("wb-count").textContent = fmt(T.shapes, { n: st.shapes.length });
    $("wb-class").value = st.cls || "";
  }

  function renderKp() {
    let shape = st.shapes[st.kp >= 0 ? st.kp : st.sel];
    if (shape && shape.type !== "keypoints") shape = null;
    const placing = st.tool === "keypoints";
    $("wb-kp").hidden = !kpNames.length || !(placing || shape);
    if ($("wb-kp").hidden) return;
    const ol = $("wb-kp-list");
    ol.textContent = "";
    kpNames.forEach((name, i) => {
      const li = document.createElement("li"), b = document.createElement("button");
      const v = shape ? shape.points[name][2] : 0;
      const next = placing && i === st.kpNext && (st.kp >= 0 || !shape);
      b.type = "button";
      b.dataset.kp = name;
      b.textContent = `${name}: ${T["vis" + v]}${next ? " ← " + T.next : ""}`;
      if (next) b.classList.add("next");
      if (shape && st.selV === name) b.setAttribute("aria-current", "true");
      li.append(b);
      ol.append(li);
    });
  }

  // On a touch screen the hints speak of fingers, not of a mouse and keys.
  const TOUCH = window.matchMedia && window.matchMedia("(pointer: coarse)").matches ? "Touch" : "";
  function hint() {
    let text = "";
    if (st.tool === "select") text = T["hintSelect" + TOUCH];
    else if (st.tool === "bbox") text = T["hintBox" + TOUCH];
    else if (st.tool === "polygon") text = st.poly ? fmt(T["hintPolyN" + TOUCH], { n: st.poly.length }) : T["hintPoly" + TOUCH];
    else if (st.tool === "keypoints") text = fmt(T.nextPoint, { name: kpNames[st.kpNext] || "" });
    if (!tools.some((t) => DRAWING.includes(t))) text = T.hintClass;
    $("wb-hint").textContent = text;
    renderKp();
  }

  function setTool(tool) {
    if (tool !== st.tool) {
      if (st.poly && st.poly.length >= 3) closePoly(); // never drop clicks silently
      st.poly = null;
      st.kp = -1;
      st.kpNext = 0;
    }
    st.tool = tool;
    if (tool !== "select") {
      st.sel = -1;
      st.selV = null;
    }
    document.querySelectorAll("[data-tool]").forEach((b) => b.setAttribute("aria-pressed", b.dataset.tool === tool));
    hint();
    cursor();
    draw();
  }

  function toggleHidden() {
    st.hidden = !st.hidden;
    $("wb-hide").setAttribute("aria-pressed", st.hidden);
    $("wb-hidden").hidden = !st.hidden;
    draw();
  }

  // ---- edits: every change goes through checkpoint() first and changed() after ----
  const snapshot = () => JSON.stringify({ s: st.shapes, c: st.cls });

  function checkpoint() {
    st.undo.push(snapshot());
    if (st.undo.length > MAX_UNDO) st.undo.shift();
    st.redo = [];
  }

  function restore(text) {
    const o = JSON.parse(text);
    st.shapes = o.s;
    st.cls = o.c;
    if (st.sel >= st.shapes.length) st.sel = -1;
    st.selV = null;
    st.kp = -1;
    st.kpNext = 0;
    st.errs.clear();
    changed();
  }

  function undo() {
    if (st.poly) { // while drawing, undo takes back the last click
      st.poly.pop();
      if (!st.poly.length) st.poly = null;
      hint();
      draw();
    } else if (st.undo.length) {
      st.redo.push(snapshot());
      restore(st.undo.pop());
    }
  }

  function redo() {
    if (!st.redo.length || st.poly) return;
    st.undo.push(snapshot());
    restore(st.redo.pop());
  }

  function changed() {
    saveLocal();
    renderList();
    hint();
    draw();
  }

  function select(i) {
    st.sel = i;
    st.selV = null;
    renderList();
    renderKp();
    draw();
  }

  const labelName = () => (labels[st.label] ? labels[st.label].name : "");

  function pickLabel(i) {
    if (!labels[i]) return;
    st.label = i;
    markLabel();
    const shape = st.tool === "select" ? st.shapes[st.sel] : null;
    if (shape && shape.label !== labels[i].name) {
      checkpoint();
      shape.label = labels[i].name;
      changed();
    }
    draw();
  }

  function setClass(value) {
    if ((value || null) === st.cls) return;
    checkpoint();
    st.cls = value || null;
    changed();
  }

  // Removes the selected vertex or key point; false when none is selected.
  function removePart() {
    const shape = st.shapes[st.sel];
    if (!shape) return false;
    if (shape.type === "polygon" && typeof st.selV === "number") {
      if (shape.points.length <= 3) note(T.need3, "bad");
      else {
        checkpoint();
        shape.points.splice(st.selV, 1);
        st.selV = null;
        changed();
      }
      return true;
    }
    if (shape.type === "keypoints" && typeof st.selV === "string") {
      checkpoint();
      shape.points[st.selV] = [0, 0, 0];
      st.selV = null;
      changed();
      return true;
    }
    return false;
  }

  function remove() {
    if (st.poly) return undo();
    if (st.sel < 0 || removePart()) return;
    checkpoint();
    st.shapes.splice(st.sel, 1);
    if (st.kp === st.sel) { st.kp = -1; st.kpNext = 0; } else if (st.kp > st.sel) st.kp--;
    st.errs.clear();
    st.sel = -1;
    st.selV = null;
    changed();
  }

  function toggleVisibility() {
    const shape = st.shapes[st.sel];
    if (!shape || shape.type !== "keypoints" || typeof st.selV !== "string") return;
    const point = shape.points[st.selV];
    if (!point[2]) return;
    checkpoint();
    point[2] = point[2] === 2 ? 1 : 2;
    changed();
  }

  function escape() {
    if (st.poly) st.poly = null;
    else if (st.kp >= 0 || st.kpNext) { st.kp = -1; st.kpNext = 0; }
    else if (EDIT) return leave();
    else return select(-1);
    hint();
    draw();
  }

  // ---- geometry (image px) ----
  const iw = () => st.a.item.width, ih = () => st.a.item.height;
  const inside = (p) => [clamp(p[0], 0, iw()), clamp(p[1], 0, ih())];
  const boxOf = (a, b) => ({ x: Math.min(a[0], b[0]), y: Math.min(a[1], b[1]), w: Math.abs(b[0] - a[0]), h: Math.abs(b[1] - a[1]) });

  function bounds(s) {
    let pts;
    if (s.type === "bbox") return [s.x, s.y, s.x + s.w, s.y + s.h];
    if (s.type === "polygon") pts = s.points;
    else pts = kpNames.map((n) => s.points[n]).filter((p) => p[2]);
    if (!pts.length) return [0, 0, 0, 0];
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  }

  function inPolygon(pts, p) {
    let hit = false;
    for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
      const [xi, yi] = pts[i], [xj, yj] = pts[j];
      if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) hit = !hit;
    }
    return hit;
  }

  function segmentDistance(p, a, b) {
    const dx = b[0] - a[0], dy = b[1] - a[1], len = dx * dx + dy * dy;
    const t = len ? clamp(((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len, 0, 1) : 0;
    return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
  }

  // The index of the polygon edge (i -> i + 1) nearest p within tol, or -1.
  function nearEdge(pts, p, tol) {
    let best = -1;
    pts.forEach((a, i) => {
      const d = segmentDistance(p, a, pts[(i + 1) % pts.length]);
      if (d <= tol) { tol = d; best = i; }
    });
    return best;
  }

  function hits(s, p, tol) {
    if (s.type === "bbox") return p[0] >= s.x - tol && p[0] <= s.x + s.w + tol && p[1] >= s.y - tol && p[1] <= s.y + s.h + tol;
    if (s.type === "polygon") return inPolygon(s.points, p) || nearEdge(s.points, p, tol) >= 0;
    return kpNames.some((n) => s.points[n][2] && dist(s.points[n], p) <= tol);
  }

  // The smallest shape under p, so a small box inside a big one stays reachable.
  function hitShape(p) {
    if (st.hidden) return -1;
    const tol = GRIP / view.s;
    let best = -1, bestArea = Infinity;
    for (let i = st.shapes.length - 1; i >= 0; i--) {
      const s = st.shapes[i];
      if (!hits(s, p, tol)) continue;
      const b = bounds(s), area = s.type === "keypoints" ? 0 : (b[2] - b[0]) * (b[3] - b[1]);
      if (area < bestArea) { best = i; bestArea = area; }
    }
    return best;
  }

  // Handles of a shape: [kind, x, y, key]; kinds: box corners/edges (n, ne, ...),
  // polygon vertex "v" and edge midpoint "m", key point "p".
  function handles(s) {
    const out = [];
    if (s.type === "bbox") {
      const x2 = s.x + s.w, y2 = s.y + s.h, mx = s.x + s.w / 2, my = s.y + s.h / 2;
      out.push(["nw", s.x, s.y], ["n", mx, s.y], ["ne", x2, s.y], ["e", x2, my],
        ["se", x2, y2], ["s", mx, y2], ["sw", s.x, y2], ["w", s.x, my]);
    } else if (s.type === "polygon") {
      const pts = s.points;
      pts.forEach((q, i) => out.push(["v", q[0], q[1], i]));
      pts.forEach((q, i) => {
        const r = pts[(i + 1) % pts.length];
        if (dist(q, r) * view.s > GRIP * 4) out.push(["m", (q[0] + r[0]) / 2, (q[1] + r[1]) / 2, i]);
      });
    } else kpNames.forEach((n) => { const q = s.points[n]; if (q[2]) out.push(["p", q[0], q[1], n]); });
    return out;
  }

  function hitHandle(p) {
    const s = st.shapes[st.sel];
    if (!s || st.hidden) return null;
    let best = null, bestD = GRIP / view.s + 1e-9;
    for (const h of handles(s)) {
      const d = Math.hypot(h[1] - p[0], h[2] - p[1]);
      if (d < bestD) { best = h; bestD = d; }
    }
    return best;
  }

  // A shape moved by (dx, dy), kept inside the image.
  function moved(s, dx, dy) {
    const b = bounds(s);
    dx = clamp(dx, -b[0], iw() - b[2]);
    dy = clamp(dy, -b[1], ih() - b[3]);
    if (s.type === "bbox") return Object.assign({}, s, { x: s.x + dx, y: s.y + dy });
    if (s.type === "polygon") return { type: s.type, label: s.label, points: s.points.map((q) => [q[0] + dx, q[1] + dy]) };
    const points = {};
    kpNames.forEach((n) => { const q = s.points[n]; points[n] = q[2] ? [q[0] + dx, q[1] + dy, q[2]] : q.slice(); });
    return { type: s.type, label: s.label, points };
  }

  function reshape(s, d, p) {
    const kind = d.h[0];
    if (kind === "v") s.points[d.h[3]] = p;
    else if (kind === "p") s.points[d.h[3]] = [p[0], p[1], s.points[d.h[3]][2] || 2];
    else {
      const o = d.orig;
      let x1 = o.x, y1 = o.y, x2 = o.x + o.w, y2 = o.y + o.h;
      if (kind.includes("w")) x1 = p[0];
      if (kind.includes("e")) x2 = p[0];
      if (kind.includes("n")) y1 = p[1];
      if (kind.includes("s")) y2 = p[1];
      Object.assign(s, boxOf([x1, y1], [x2, y2]));
    }
  }

  // After a resize: at least 1 px each way, and inside the image.
  function settleBox(s) {
    s.w = Math.max(s.w, 1);
    s.h = Math.max(s.h, 1);
    s.x = clamp(s.x, 0, iw() - s.w);
    s.y = clamp(s.y, 0, ih() - s.h);
  }

  // ---- drawing tools ----
  function polyClick(p) {
    if (!st.poly) {
      st.sel = -1;
      st.poly = [inside(p)];
    } else if (st.poly.length >= 3 && dist(st.poly[0], p) * view.s <= GRIP + 1) return closePoly();
    else st.poly.push(inside(p));
    renderList();
    hint();
  }

  function closePoly() {
    if (!st.poly) return;
    if (st.poly.length < 3) return note(T.need3, "bad");
    checkpoint();
    st.shapes.push({ type: "polygon", label: labelName(), points: st.poly });
    st.poly = null;
    // Not left selected: the next label key is for the next shape, not this one.
    st.sel = -1;
    st.selV = null;
    changed();
  }

  function kpClick(p) {
    if (!kpNames.length) return;
    checkpoint();
    let shape = st.shapes[st.kp];
    if (!shape) {
      shape = { type: "keypoints", label: labelName(), points: {} };
      kpNames.forEach((n) => { shape.points[n] = [0, 0, 0]; });
      st.shapes.push(shape);
      st.kp = st.shapes.length - 1;
    }
    const name = kpNames[st.kpNext], q = inside(p);
    shape.points[name] = [q[0], q[1], 2];
    st.sel = st.kp;
    st.selV = name; // so O toggles the point just placed
    advanceKp();
    changed();
  }

  function advanceKp() {
    if (st.tool !== "keypoints") return;
    st.kpNext++;
    if (st.kpNext >= kpNames.length) { st.kpNext = 0; st.kp = -1; }
    hint();
  }

  // ---- view ----
  function fitView() {
    if (!st.a || !W || !H) return;
    const s = Math.min(W / iw(), H / ih()) * 0.96 || 1;
    Object.assign(view, { s, x: (W - iw() * s) / 2, y: (H - ih() * s) / 2, min: s / 8, fit: true });
    draw();
  }

  function zoomAt(sx, sy, factor) {
    const s = clamp(view.s * factor, view.min, 40);
    view.x = sx - ((sx - view.x) * s) / view.s;
    view.y = sy - ((sy - view.y) * s) / view.s;
    view.s = s;
    view.fit = false;
    draw();
  }

  function pan(dx, dy) {
    view.x += dx;
    view.y += dy;
    view.fit = false;
    draw();
  }

  function resize() {
    const r = stage.getBoundingClientRect();
    dpr = window.devicePixelRatio || 1;
    W = r.width;
    H = r.height;
    cv.width = Math.max(1, Math.round(W * dpr));
    cv.height = Math.max(1, Math.round(H * dpr));
    cv.style.width = W + "px";
    cv.style.height = H + "px";
    if (view.fit) fitView();
    paintNow();
  }

  function toImage(e) {
    const r = cv.getBoundingClientRect();
    return [(e.clientX - r.left - view.x) / view.s, (e.clientY - r.top - view.y) / view.s];
  }

  // ---- painting ----
  const draw = () => { if (!raf) raf = requestAnimationFrame(paint); };
  function paintNow() {
    cancelAnimationFrame(raf);
    paint();
  }

  function paint() {
    raf = 0;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#2b2f36";
    ctx.fillRect(0, 0, W, H);
    if (!st.a) return;
    const s = view.s, lw = 1.5 / s;
    ctx.setTransform(dpr * s, 0, 0, dpr * s, dpr * view.x, dpr * view.y);
    ctx.imageSmoothingEnabled = s < 3; // pixels stay crisp when zoomed in
    if (img) ctx.drawImage(img, 0, 0, iw(), ih());
    else {
      ctx.fillStyle = "#555";
      ctx.fillRect(0, 0, iw(), ih());
    }
    if (!st.hidden) {
      st.shapes.forEach((shape, i) => { if (i !== st.sel) paintShape(shape, lw, false, st.errs.has(i)); });
      if (st.shapes[st.sel]) paintShape(st.shapes[st.sel], lw, true, st.errs.has(st.sel));
    }
    if (drag && drag.mode === "box") paintShape(Object.assign({ type: "bbox", label: labelName() }, boxOf(drag.p0, drag.p1)), lw, false, false);
    if (st.poly) paintPoly(lw);
  }

  function paintShape(shape, lw, selected, bad) {
    const colour = colours[shape.label] || "#ff00ff", s = view.s;
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = lw;
    if (shape.type === "keypoints") {
      kpNames.forEach((n) => {
        const q = shape.points[n];
        if (!q[2]) return;
        ctx.beginPath();
        ctx.arc(q[0], q[1], (selected ? 5 : 4) / s, 0, 7);
        ctx.fillStyle = q[2] === 2 ? colour : "#fff"; // hidden points are hollow
        ctx.fill();
        ctx.strokeStyle = "rgba(0, 0, 0, .6)";
        ctx.stroke();
      });
    } else {
      ctx.beginPath();
      if (shape.type === "bbox") ctx.rect(shape.x, shape.y, shape.w, shape.h);
      else {
        shape.points.forEach((q, i) => (i ? ctx.lineTo(q[0], q[1]) : ctx.moveTo(q[0], q[1])));
        ctx.closePath();
      }
      ctx.globalAlpha = selected ? 0.25 : 0.1;
      ctx.fill();
      ctx.globalAlpha = 1;
      // A dark halo (white when selected) keeps the line visible on any image.
      ctx.strokeStyle = selected ? "#fff" : "rgba(0, 0, 0, .55)";
      ctx.lineWidth = lw * (selected ? 4 : 2.5);
      ctx.stroke();
      ctx.strokeStyle = colour;
      ctx.lineWidth = selected ? lw * 2 : lw;
      ctx.stroke();
      if (bad) {
        ctx.save();
        ctx.strokeStyle = "#ff1744";
        ctx.setLineDash([6 / s, 4 / s]);
        ctx.lineWidth = lw * 2.5;
        ctx.stroke();
        ctx.restore();
      }
    }
    if (selected) paintHandles(shape, colour, lw);
  }

  function paintHandles(shape, colour, lw) {
    const s = view.s, r = 4 / s;
    ctx.lineWidth = lw;
    for (const h of handles(shape)) {
      const chosen = h[3] !== undefined && h[3] === st.selV && h[0] !== "m";
      ctx.beginPath();
      if (h[0] === "m") ctx.arc(h[1], h[2], r * 0.7, 0, 7);
      else if (h[0] === "p") ctx.arc(h[1], h[2], r * 1.6, 0, 7);
      else ctx.rect(h[1] - r, h[2] - r, 2 * r, 2 * r);
      ctx.fillStyle = chosen ? colour : "#fff";
      if (h[0] !== "p") ctx.fill();
      ctx.strokeStyle = chosen ? "#fff" : colour;
      ctx.stroke();
      if (h[0] === "p") {
        ctx.fillStyle = "#fff";
        ctx.font = `${12 / s}px sans-serif`;
        ctx.fillText(h[3], h[1] + r * 2, h[2] - r);
      }
    }
    const b = bounds(shape), text = shape.label || "?";
    ctx.font = `${12 / s}px sans-serif`;
    const tw = ctx.measureText(text).width + 8 / s, th = 16 / s;
    const lift = shape.type === "keypoints" ? th + 8 / s : th;
    const ty = b[1] - lift > 0 ? b[1] - lift : b[1];
    ctx.fillStyle = colour;
    ctx.fillRect(b[0], ty, tw, th);
    ctx.fillStyle = "#fff";
    ctx.fillText(text, b[0] + 4 / s, ty + 12 / s);
  }

  function paintPoly(lw) {
    const pts = st.poly, s = view.s, colour = colours[labelName()] || "#ff00ff";
    ctx.strokeStyle = colour;
    ctx.lineWidth = lw * 1.5;
    ctx.beginPath();
    pts.forEach((q, i) => (i ? ctx.lineTo(q[0], q[1]) : ctx.moveTo(q[0], q[1])));
    if (mouse) ctx.lineTo(mouse[0], mouse[1]);
    ctx.stroke();
    ctx.fillStyle = colour;
    pts.forEach((q) => { ctx.beginPath(); ctx.arc(q[0], q[1], 3 / s, 0, 7); ctx.fill(); });
    const closable = pts.length >= 3 && mouse && dist(pts[0], mouse) * s <= GRIP + 1;
    ctx.beginPath();
    ctx.arc(pts[0][0], pts[0][1], (closable ? GRIP + 1 : 5) / s, 0, 7);
    ctx.strokeStyle = "#fff";
    ctx.stroke();
  }

  const CURSORS = { n: "ns-resize", s: "ns-resize", e: "ew-resize", w: "ew-resize", nw: "nwse-resize", se: "nwse-resize",
    ne: "nesw-resize", sw: "nesw-resize", v: "move", p: "move", m: "copy" };
  function cursor(name) {
    stage.style.cursor = name || (spaceDown ? "grab" : st.tool === "select" ? "default" : "crosshair");
  }
  function hover(p) {
    const h = st.poly ? null : hitHandle(p);
    if (h) return cursor(CURSORS[h[0]]);
    if (st.tool === "select" && hitShape(p) >= 0) return cursor("move");
    cursor();
  }

  // ---- pointer ----
  function startPan(e) {
    drag = { mode: "pan", cx: e.clientX, cy: e.clientY, vx: view.x, vy: view.y };
    cursor("grabbing");
  }

  function grabHandle(h, p) {
    const shape = st.shapes[st.sel];
    if (h[0] === "m") { // an edge midpoint: a new vertex there, then dragged
      checkpoint();
      shape.points.splice(h[3] + 1, 0, inside([h[1], h[2]]));
      h = ["v", h[1], h[2], h[3] + 1];
      drag = { mode: "handle", h, p0: p, i: st.sel, moved: true };
      st.selV = h[3];
      return changed();
    }
    st.selV = h[0] === "v" || h[0] === "p" ? h[3] : null;
    drag = { mode: "handle", h, p0: p, i: st.sel, orig: clone(shape), moved: false };
    renderKp();
    draw();
  }

  stage.addEventListener("pointerdown", (e) => {
    if (st.mode !== "work") return;
    stage.focus({ preventScroll: true });
    act();
    const p = toImage(e);
    if (e.button === 1 || (e.button === 0 && spaceDown)) {
      e.preventDefault();
      stage.setPointerCapture(e.pointerId);
      return startPan(e);
    }
    if (e.button !== 0 || !tools.length) return;
    stage.setPointerCapture(e.pointerId);
    const selected = st.shapes[st.sel];
    if (!st.poly && e.altKey && selected && selected.type === "polygon") {
      const edge = nearEdge(selected.points, p, GRIP / view.s);
      if (edge >= 0) return grabHandle(["m", p[0], p[1], edge], p);
    }
    const h = st.poly ? null : hitHandle(p);
    if (h) return grabHandle(h, p);
    if (st.tool === "select") {
      const i = hitShape(p);
      select(i);
      if (i >= 0) drag = { mode: "move", p0: p, i, orig: clone(st.shapes[i]), moved: false };
      else startPan(e);
    } else if (st.tool === "bbox") drag = { mode: "box", p0: inside(p), p1: inside(p) };
    else if (st.tool === "polygon") polyClick(p);
    else if (st.tool === "keypoints") kpClick(p);
    draw();
  });

  stage.addEventListener("pointermove", (e) => {
    if (st.mode !== "work") return;
    act();
    const p = toImage(e);
    mouse = p;
    if (!drag) {
      hover(p);
      if (st.poly) draw();
      return;
    }
    if (drag.mode === "pan") return pan(drag.vx + e.clientX - drag.cx - view.x, drag.vy + e.clientY - drag.cy - view.y);
    if (drag.mode === "box") drag.p1 = inside(p);
    else {
      if (!drag.moved) {
        if (dist(p, drag.p0) * view.s < 3) return; // a click, not a drag
        checkpoint();
        drag.moved = true;
      }
      if (drag.mode === "move") st.shapes[drag.i] = moved(drag.orig, p[0] - drag.p0[0], p[1] - drag.p0[1]);
      else reshape(st.shapes[drag.i], drag, inside(p));
    }
    draw();
  });

  function pointerUp(e) {
    const d = drag;
    drag = null;
    if (!d) return;
    if (d.mode === "pan") cursor();
    else if (d.mode === "box") {
      const b = boxOf(d.p0, d.p1);
      // Boxes under 1 px are slips of the hand, and the server refuses them anyway.
      if (b.w >= 1 && b.h >= 1 && Math.max(b.w, b.h) * view.s >= 3) {
        checkpoint();
        st.shapes.push(Object.assign({ type: "bbox", label: labelName() }, b));
        st.sel = -1; // as for polygons: a label key after drawing picks the next label
        st.selV = null;
        changed();
      } else select(hitShape(toImage(e)));
    } else if (d.moved) {
      const shape = st.shapes[d.i];
      if (shape && shape.type === "bbox") settleBox(shape);
      changed();
    }
    draw();
  }
  stage.addEventListener("pointerup", pointerUp);
  stage.addEventListener("pointercancel", pointerUp);

  stage.addEventListener("dblclick", () => {
    const pts = st.poly;
    if (!pts) return;
    // The second click of the double-click added a point on top of the first one.
    if (pts.length >= 2 && dist(pts[pts.length - 1], pts[pts.length - 2]) * view.s < 6) pts.pop();
    closePoly();
  });

  stage.addEventListener("contextmenu", (e) => {
    e.preventDefault();
    if (st.mode !== "work") return;
    if (st.poly) return undo();
    const h = hitHandle(toImage(e));
    if (h && (h[0] === "v" || h[0] === "p")) {
      st.selV = h[3];
      removePart();
    }
  });

  stage.addEventListener("wheel", (e) => {
    e.preventDefault();
    if (st.mode !== "work") return;
    act();
    const r = cv.getBoundingClientRect();
    zoomAt(e.clientX - r.left, e.clientY - r.top, Math.exp(-e.deltaY * (e.deltaMode ? 0.05 : 0.0015)));
  }, { passive: false });

  // ---- keyboard ----
  const TOOL_KEYS = { v: "select", b: "bbox", p: "polygon", k: "keypoints" };

  function nudge(dx, dy) {
    const shape = st.shapes[st.sel];
    if (!shape) return pan(-dx * 4, -dy * 4);
    checkpoint();
    st.shapes[st.sel] = moved(shape, dx, dy);
    changed();
  }

  function onKey(key, e) {
    const step = e.shiftKey ? 10 : 1;
    switch (key) {
      case "Enter": submit(); break;
      case "Escape": escape(); break;
      case "Delete": case "Backspace": remove(); break;
      case "v": case "b": case "p": case "k": {
        const tool = TOOL_KEYS[key];
        if (tool === "select" ? tools.some((t) => DRAWING.includes(t)) : tools.includes(tool)) setTool(tool);
        break;
      }
      case "h": toggleHidden(); break;
      case "i": openDialog("wb-instr"); break;
      case "?": openDialog("wb-help"); break;
      case "f": case "0": fitView(); break;
      case "+": case "=": zoomAt(W / 2, H / 2, 1.25); break;
      case "-": zoomAt(W / 2, H / 2, 0.8); break;
      case "o": toggleVisibility(); break;
      case "n": advanceKp(); break;
      case "s": ACTIONS.skip(); break;
      case "c": if (!$("wb-class-wrap").hidden) $("wb-class").focus(); break;
      case "ArrowLeft": nudge(-step, 0); break;
      case "ArrowRight": nudge(step, 0); break;
      case "ArrowUp": nudge(0, -step); break;
      case "ArrowDown": nudge(0, step); break;
      case " ":
        spaceDown = true;
        if (!drag) cursor();
        break;
      default:
        if (!/^[1-9]$/.test(key)) return false;
        pickLabel(+key - 1);
    }
    return true;
  }

  document.addEventListener("keydown", (e) => {
    const target = e.target instanceof Element ? e.target : document.body;
    if (st.mode !== "work" || document.querySelector("dialog[open]")) return;
    if (target.closest("input, textarea, select, [contenteditable]")) return;
    // Letters and digits by their place on the keyboard: works with a Chinese IME on.
    let key = e.key;
    if (/^Key[A-Z]$/.test(e.code)) key = e.code.slice(3).toLowerCase();
    else if (/^(Digit|Numpad)\d$/.test(e.code)) key = e.code.slice(-1);
    act();
    if (e.ctrlKey || e.metaKey) {
      if (key === "z") e.shiftKey ? redo() : undo();
      else if (key === "y") redo();
      else return;
      e.preventDefault();
      return;
    }
    if (e.altKey || ((key === "Enter" || key === " ") && target.closest("button, a"))) return;
    // A held key repeats; only moving and zooming should (a repeated Enter would submit
    // the next image empty, a repeated Delete would empty this one).
    if (e.repeat && !/^(Arrow|[+=-]$)/.test(key)) return e.preventDefault();
    if (onKey(key, e)) e.preventDefault();
  });
  document.addEventListener("keyup", (e) => {
    if (e.key === " ") { spaceDown = false; if (!drag) cursor(); }
  });
  window.addEventListener("blur", () => { spaceDown = false; });

  // ---- buttons, dialogs ----
  function openDialog(id) {
    const dialog = $(id);
    if (!dialog.open) dialog.showModal();
    dialog.scrollTop = 0; // showModal focuses the last button and scrolls to it
  }
  // Back to the image when a dialog closes, so the next Enter submits instead of
  // pressing the button that opened the dialog.
  document.querySelectorAll("dialog").forEach((dialog) => {
    dialog.addEventListener("close", () => { if (!EDIT || st.mode === "work") stage.focus({ preventScroll: true }); });
  });

  const ACTIONS = {
    undo, redo, submit, fit: fitView, hide: toggleHidden, vis: toggleVisibility, kpskip: advanceKp,
    instr: () => openDialog("wb-instr"), help: () => openDialog("wb-help"), again: loadNext, leave,
    skip: () => {
      if (st.mode !== "work" || EDIT) return;
      $("wb-skip-err").textContent = "";
      openDialog("wb-skip");
    },
  };

  root.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    const d = b.dataset;
    if (d.tool) setTool(d.tool);
    else if (d.label) pickLabel(+d.label);
    else if (d.i) select(+d.i);
    else if (d.kp) {
      const shape = st.shapes[st.kp >= 0 ? st.kp : st.sel];
      if (shape && shape.type === "keypoints") {
        st.sel = st.shapes.indexOf(shape);
        st.selV = d.kp;
        renderKp();
        draw();
      }
    } else if (ACTIONS[d.act]) ACTIONS[d.act]();
  });
  // A mouse click on a toolbar button must not keep the focus there, or the next Enter
  // would press that button again instead of submitting.
  root.addEventListener("mousedown", (e) => { if (e.target.closest(".wb-bar button, .wb-side button")) e.preventDefault(); });
  document.addEventListener("pointerdown", act, true);
  $("wb-class").addEventListener("change", (e) => setClass(e.target.value));
  $("wb-class").addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === "Escape") stage.focus({ preventScroll: true });
  });

  const skipForm = $("wb-skip-form");
  if (skipForm) $("wb-skip-other").addEventListener("input", () => { skipForm.elements.reason.value = "other"; });
  if (skipForm) $("wb-skip-cancel").addEventListener("click", () => $("wb-skip").close());
  if (skipForm) skipForm.addEventListener("submit", (e) => {
    e.preventDefault();
    // Preset reasons go as stable codes (for counting); "other" as the annotator's words.
    let reason = skipForm.elements.reason.value;
    if (reason === "other") {
      reason = $("wb-skip-other").value.trim();
      if (!reason) {
        $("wb-skip-err").textContent = T.otherEmpty;
        $("wb-skip-other").focus();
        return;
      }
    }
    $("wb-skip").close();
    skip(reason);
  });

  // ---- talking to the server ----
  function startBeat() {
    stopBeat();
    beatTimer = setInterval(beat, CFG.heartbeat_seconds * 1000);
  }
  function stopBeat() {
    clearInterval(beatTimer);
    beatTimer = 0;
  }

  async function beat() {
    const a = st.a;
    if (!a || st.mode !== "work" || st.busy) return;
    const draft = { shapes: st.shapes, class: st.cls }, text = JSON.stringify(draft);
    const body = { active: activeSinceBeat };
    if (text !== lastSent) body.draft = draft;
    activeSinceBeat = false;
    if (body.active) saveLocal(); // keeps the time worked across a reload
    let r;
    try { r = await post(url("heartbeat", a.id), body); } catch (e) { return link(false); }
    if (st.a !== a) return;
    if (r.status === 200) {
      link(true);
      if (r.data && r.data.lease_expires_at) a.lease_expires_at = r.data.lease_expires_at;
      if (body.draft) {
        lastSent = text;
        setSave(T.synced);
      }
      status();
    } else if (r.status === 409 || r.status === 404) lost(a, r.data);
    else if (linkDown(r.status)) link(false);
  }

  function lost(a, data) {
    store.del(draftKey(a.id));
    note(`${message(data) || T.taken} ${T.loadingNext}`, "bad");
    loadNext();
  }

  // What goes to the server: clamped into the image, boxes with positive size; shapes
  // that collapse under 1 px are dropped. `map` takes a sent index back to a local one.
  function outgoing() {
    const w = iw(), h = ih(), cx = (v) => clamp(v, 0, w), cy = (v) => clamp(v, 0, h);
    const shapes = [], map = [];
    st.shapes.forEach((s, i) => {
      let o;
      if (s.type === "bbox") {
        const x = cx(Math.min(s.x, s.x + s.w)), y = cy(Math.min(s.y, s.y + s.h));
        let bw = cx(Math.max(s.x, s.x + s.w)) - x, bh = cy(Math.max(s.y, s.y + s.h)) - y;
        if (bw < 1 || bh < 1) return;
        // x + w must not pass the edge by a rounding error.
        if (x + bw > w) bw -= x + bw - w + 1e-9;
        if (y + bh > h) bh -= y + bh - h + 1e-9;
        o = { type: "bbox", label: s.label, x, y, w: bw, h: bh };
      } else if (s.type === "polygon") {
        o = { type: "polygon", label: s.label, points: s.points.map((q) => [cx(q[0]), cy(q[1])]) };
      } else {
        const points = {};
        kpNames.forEach((n) => {
          const q = s.points[n] || [0, 0, 0];
          points[n] = q[2] ? [cx(q[0]), cy(q[1]), q[2]] : [0, 0, 0];
        });
        o = { type: "keypoints", label: s.label, points };
      }
      shapes.push(o);
      map.push(i);
    });
    return { shapes, map };
  }

  async function submit() {
    if (st.busy || !st.a || st.mode !== "work") return;
    if (st.poly) return closePoly(); // Enter first closes the polygon being drawn
    // A double Enter must not submit the next image unseen.
    if (Date.now() - shownAt < 600 && !st.undo.length) return;
    act();
    const a = st.a, out = outgoing();
    if (EDIT) return saveEdit(out);
    const body = { shapes: out.shapes, class: st.cls, time_spent_ms: Math.round(spent) };
    st.busy = true;
    setSave(T.sending);
    let r = null;
    try { r = await post(url("submit", a.id), body); } catch (e) { /* no answer: see below */ }
    st.busy = false;
    if (st.a !== a) return;
    if (!r || linkDown(r.status)) {
      if (!outboxAdd(a.id, body)) return note(T.netFail, "bad"); // storage full: keep it on screen
      store.del(draftKey(a.id));
      link(false);
      return loadNext();
    }
    if (r.status === 200 || r.status === 201) { // 200: it had already arrived
      store.del(draftKey(a.id));
      note(T.submitted, "ok");
      return loadNext();
    }
    if (r.status === 409 || r.status === 404) return lost(a, r.data);
    if (r.status === 400) return showErrors(r.data, out.map);
    saveLocal();
    note(message(r.data) || fmt(T.failed, { status: r.status }), "bad");
  }

  function showErrors(data, map) {
    const box = $("wb-errors"), list = document.createElement("ul"), head = document.createElement("p");
    let first = -1;
    st.errs.clear();
    head.textContent = T.fix;
    for (const [field, messages] of Object.entries(data || {})) {
      const li = document.createElement("li"), m = /^shapes\[(\d+)\]/.exec(field);
      const text = [].concat(messages).join(" ");
      if (m && map[+m[1]] !== undefined) {
        const i = map[+m[1]], b = document.createElement("button");
        st.errs.add(i);
        if (first < 0) first = i;
        b.type = "button";
        b.className = "link";
        b.dataset.i = i;
        b.textContent = fmt(T.shapeN, { n: i + 1 });
        li.append(b, ": " + text);
      } else li.textContent = text;
      list.append(li);
    }
    box.textContent = "";
    box.append(head, list);
    saveLocal();
    if (first >= 0) select(first);
    else {
      renderList();
      draw();
    }
  }

  async function skip(reason) {
    const a = st.a;
    if (!a || st.busy) return;
    st.busy = true;
    let r = null;
    try { r = await post(url("skip", a.id), { reason }); } catch (e) { /* below */ }
    st.busy = false;
    if (st.a !== a) return;
    if (!r || linkDown(r.status)) {
      link(false);
      return note(T.netFail, "bad");
    }
    if (r.status === 200) {
      store.del(draftKey(a.id));
      note(T.skipped, "ok");
      return loadNext();
    }
    if (r.status === 409 || r.status === 404) return lost(a, r.data);
    note(message(r.data) || fmt(T.failed, { status: r.status }), "bad");
  }

  // Sends the outbox in order; true when it is empty. One run at a time.
  let flushing = null;
  function flushOutbox() {
    if (!flushing) flushing = sendOutbox().finally(() => { flushing = null; });
    return flushing;
  }

  async function sendOutbox() {
    for (let box = outbox(); box.length; box = outbox()) {
      const entry = box[0];
      let r;
      try { r = await post(url("submit", entry.id), entry.body); } catch (e) { link(false); return false; }
      if (r.status >= 500) { link(false); return false; }
      if (r.status === 401 || r.status === 403) { note(T.loginAgain, "bad"); return false; }
      if (r.status >= 400) note(fmt(T.refused, { msg: message(r.data) }), "bad");
      store.set("outbox", outbox().filter((e) => e.id !== entry.id));
    }
    link(true);
    return true;
  }

  function retryOutbox() {
    if (!outbox().length) return;
    flushOutbox().then((ok) => { if (ok && st.mode === "wait") loadNext(); });
  }
  if (!EDIT) window.addEventListener("online", () => {
    link(true);
    retryOutbox();
    if (st.mode === "wait") loadNext();
  });
  if (!EDIT) {
    window.addEventListener("offline", () => link(false));
    window.addEventListener("pagehide", () => { if (st.a && st.mode === "work") saveLocal(); });
    setInterval(retryOutbox, 20000);
    setInterval(status, 1000);
  }

  // For browser tests and the curious: read-only state and the image -> page mapping.
  window.aidouWorkbench = {
    state: () => ({
      assignmentId: st.a ? st.a.id : null,
      shapes: clone(st.shapes),
      class: st.cls,
      tool: st.tool,
      label: labelName(),
    }),
    toScreen: (x, y) => {
      const r = cv.getBoundingClientRect();
      return { x: r.left + view.x + x * view.s, y: r.top + view.y + y * view.s };
    },
    scale: () => view.s,
    open: openEdit,
  };

  new ResizeObserver(resize).observe(stage);
  if (EDIT) {
    setMode("closed");
    if (EDIT.open) openEdit();
    window.addEventListener("pageshow", () => { st.busy = false; setSave(""); unput(); });
    return;
  }
  document.body.classList.add("wb-page");
  forgetOldDrafts();
  link(navigator.onLine !== false);
  loadNext();
})();
