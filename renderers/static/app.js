// journeybot's Mini App: reads who opened it (Telegram's initData), fetches the board the
// server renders, sends each edit and shows the board the server sends back. Telegram's own
// telegram-web-app.js is used when the page has it, and not needed: the launch parameters
// are read from the address, events go to Telegram the way that script sends them.
(() => {
  "use strict";
  const app = document.getElementById("app");
  const toast = document.getElementById("toast");
  const launch = new URLSearchParams(location.hash.slice(1));
  const tg = window.Telegram && window.Telegram.WebApp;
  const initData =
    (tg && tg.initData) || launch.get("tgWebAppData") || sessionStorage.getItem("jb-init") || "";
  if (initData) sessionStorage.setItem("jb-init", initData); // the hash is gone after a reload
  let words = {};
  let version = 0;
  let toastTimer = 0;

  function postEvent(type, data) {
    const body = JSON.stringify(data || {});
    try {
      if (window.TelegramWebviewProxy && window.TelegramWebviewProxy.postEvent) {
        window.TelegramWebviewProxy.postEvent(type, body);
      } else if (window.external && "notify" in window.external) {
        window.external.notify(JSON.stringify({ eventType: type, eventData: data || {} }));
      } else if (window.parent !== window) {
        window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data || {} }), "*");
      }
    } catch (e) { /* outside Telegram */ }
  }

  function applyTheme(params) {
    if (!params) return;
    const root = document.documentElement;
    root.classList.add("tg-theme");
    for (const [key, value] of Object.entries(params)) {
      root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
    }
  }
  if (!tg) {
    const theme = launch.get("tgWebAppThemeParams") || sessionStorage.getItem("jb-theme");
    if (theme) sessionStorage.setItem("jb-theme", theme); // kept for the next page, as initData
    try { applyTheme(JSON.parse(theme || "null")); } catch (e) { /* none */ }
  } else {
    applyTheme(tg.themeParams);
  }
  window.addEventListener("message", (event) => { // theme changes while open (Telegram Web)
    try {
      const data = JSON.parse(event.data);
      if (data.eventType === "theme_changed") applyTheme(data.eventData.theme_params);
    } catch (e) { /* not Telegram's */ }
  });
  postEvent("web_app_ready");
  postEvent("web_app_expand");

  function target() {
    const path = location.pathname.match(/\/map\/(-?\d+)\/(\d+)\/?$/);
    if (path) return path[1] + "/" + path[2];
    const start = new URLSearchParams(initData).get("start_param") || launch.get("tgWebAppStartParam") || "";
    const found = start.match(/^c(-?\d+)_(\d+)$/);
    return found ? found[1] + "/" + found[2] : "";
  }
  const url = target() ? app.dataset.api + "/" + target() : app.dataset.api.replace(/\/map$/, "/maps");

  function say(text, kind) {
    toast.textContent = text;
    toast.className = kind || "";
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toast.hidden = true; }, kind === "error" || kind === "warn" ? 6000 : 1800);
  }

  async function call(method, path, body) {
    const response = await fetch(url + path, {
      method,
      headers: { Authorization: "tma " + initData, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    let data = {};
    try { data = await response.json(); } catch (e) { /* an empty answer */ }
    return { status: response.status, data };
  }

  function show(data) {
    const scroll = { board: (app.querySelector(".board") || {}).scrollLeft || 0, page: window.scrollY };
    app.innerHTML = data.html;
    words = JSON.parse(document.getElementById("words").textContent);
    version = Number(app.querySelector(".board-root").dataset.version);
    const board = app.querySelector(".board");
    if (board) board.scrollLeft = scroll.board;
    window.scrollTo(0, scroll.page);
    watchStages();
  }

  async function load() {
    let answer;
    try { answer = await call("GET", ""); } catch (e) { return problem(words.offline || "Offline"); }
    if (answer.status === 200) show(answer.data);
    else problem(answer.data.error || String(answer.status));
  }

  function problem(text) {
    app.innerHTML = "";
    const p = document.createElement("p");
    p.className = "problem";
    p.textContent = text;
    app.append(p);
  }

  async function send(path, body, sheet) {
    say(words.saving);
    let answer;
    try { answer = await call("POST", path, { version, ...body }); } catch (e) {
      say(words.offline, "error");
      return false;
    }
    if (answer.status === 200) {
      show(answer.data);
      say(words.saved);
      postEvent("web_app_trigger_haptic_feedback", { type: "notification", notification_type: "success" });
      return true;
    }
    if (answer.status === 409 && answer.data.html) { // someone else saved first: their map
      show(answer.data);
      if (sheet && body.op === "add") { // the new answer stays in the sheet, to save again
        sheet.querySelector(".error").textContent = answer.data.error;
        toast.hidden = true;
        return false;
      }
      say(answer.data.error, "warn");
      return true;
    }
    const text = answer.data.error || words.failed;
    if (sheet) {
      sheet.querySelector(".error").textContent = text;
      toast.hidden = true;
    } else say(text, "error");
    return false;
  }

  // --- the editor sheet ----------------------------------------------------------------------

  function el(tag, props, ...children) {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children);
    return node;
  }

  function openSheet(title, text, limit, actions) {
    const back = el("div", { className: "sheet-back" });
    const input = el("textarea", { value: text, rows: 3 });
    const count = el("div", { className: "count" });
    const error = el("p", { className: "error", role: "alert" });
    const sheet = el("form", { className: "sheet" }, el("h2", { textContent: title }), input, count, error);
    const counted = () => {
      const length = input.value.trim().length;
      count.textContent = length + " / " + limit;
      count.classList.toggle("over", length > limit);
    };
    input.addEventListener("input", counted);
    input.addEventListener("keydown", (event) => { // answers are one line: Enter saves
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        const primary = sheet.querySelector("button.primary");
        if (primary) primary.click();
      }
    });
    counted();
    const close = () => back.remove();
    const row = el("div", { className: "row" });
    for (const [label, className, act] of actions) {
      if (label === null) { row.append(act); continue; }
      row.append(el("button", {
        type: className === "primary" ? "submit" : "button",
        className,
        textContent: label,
        onclick: async (event) => {
          event.preventDefault();
          if (!act) return close();
          if (await act(input.value, sheet)) close();
        },
      }));
    }
    sheet.append(row);
    back.append(sheet);
    back.addEventListener("click", (event) => { if (event.target === back) close(); });
    document.body.append(back);
    input.focus();
    return sheet;
  }

  function place(node) {
    const stage = Number(node.closest(".stage").dataset.stage);
    const cell = node.closest(".cell");
    return { stage, lane: cell && cell.dataset.lane, limit: Number(cell && cell.dataset.limit) };
  }

  function editItem(button) {
    const where = place(button);
    const index = Number(button.dataset.index);
    const base = { stage: where.stage, lane: where.lane, index };
    const stages = [...app.querySelectorAll(".stage")];
    const move = el("select", { "aria-label": words.move_to });
    move.append(el("option", { value: "", textContent: words.move_to + "…" }));
    stages.forEach((stage, i) => {
      if (i !== where.stage) {
        move.append(el("option", { value: String(i), textContent: (i + 1) + ". " + stage.querySelector(".stage-name .rename").textContent.trim() }));
      }
    });
    const count = button.closest("ul").children.length;
    const actions = [
      [words.save, "primary", (text, s) => send("", { op: "change", ...base, text }, s)],
      [words.delete, "danger", (text, s) => send("", { op: "delete", ...base }, s)],
    ];
    if (index > 0) {
      actions.push(["↑ " + words.up, "", (text, s) => send("", { op: "move", ...base, to_stage: where.stage, to_index: index - 1 }, s)]);
    }
    if (index < count - 1) {
      actions.push(["↓ " + words.down, "", (text, s) => send("", { op: "move", ...base, to_stage: where.stage, to_index: index + 1 }, s)]);
    }
    if (stages.length > 1) actions.push([null, "", move]);
    actions.push([words.cancel, "", null]);
    const sheet = openSheet(words.edit_item, button.textContent.trim(), where.limit, actions);
    move.addEventListener("change", async () => {
      if (move.value === "") return;
      if (await send("", { op: "move", ...base, to_stage: Number(move.value) }, sheet)) sheet.parentElement.remove();
    });
  }

  function addItem(button) {
    const where = place(button);
    openSheet(words.new_item, "", where.limit, [
      [words.save, "primary", (text, s) => send("", { op: "add", stage: where.stage, lane: where.lane, text }, s)],
      [words.cancel, "", null],
    ]);
  }

  function renameStage(button) {
    const where = place(button);
    const limit = Number(app.querySelector(".board-root").dataset.stageLimit);
    openSheet(words.rename, button.textContent.trim(), limit, [
      [words.save, "primary", (name, s) => send("", { op: "rename_stage", stage: where.stage, name }, s)],
      [words.cancel, "", null],
    ]);
  }

  app.addEventListener("click", (event) => {
    const node = event.target.closest("button");
    if (!node || node.disabled || app.querySelector(".board-root").dataset.editable !== "1") return;
    if (node.classList.contains("item")) editItem(node);
    else if (node.classList.contains("add")) addItem(node);
    else if (node.classList.contains("rename")) renameStage(node);
    else if (node.classList.contains("face")) {
      const persona = node.closest(".rating").dataset.persona;
      send("", { op: "emotion", stage: place(node).stage, persona, score: Number(node.dataset.score) });
    }
  });
  app.addEventListener("change", (event) => {
    const box = event.target.closest("input[data-tick]");
    if (box) send("/tick", { item: box.dataset.tick, ticked: box.checked });
  });

  // The stage tabs follow the swiped column; a tab scrolls its stage into view.
  function watchStages() {
    const board = app.querySelector(".board");
    const tabs = [...app.querySelectorAll(".stage-tabs a")];
    if (!board || !tabs.length) return;
    const mark = () => {
      const width = board.clientWidth || 1;
      const current = Math.round(board.scrollLeft / (board.scrollWidth / tabs.length || width));
      tabs.forEach((tab, i) => tab.classList.toggle("current", i === current));
      const name = app.querySelector(".tab-name");
      if (name && tabs[current]) name.textContent = tabs[current].title;
    };
    board.addEventListener("scroll", mark, { passive: true });
    mark();
  }
  app.addEventListener("click", (event) => {
    const tab = event.target.closest("a[data-goto], .curve-stages a");
    if (!tab) return;
    const stage = document.querySelector(tab.getAttribute("href"));
    if (!stage) return;
    event.preventDefault();
    stage.scrollIntoView({ behavior: "smooth", block: "nearest", inline: "center" });
  });

  load();
})();
