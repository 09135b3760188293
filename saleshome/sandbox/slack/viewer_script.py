"""The client page's style and script (``viewer_client.py``), kept apart from the Python that serves them.

The script only moves raw values between the page and ``/client/api/…``: what a control holds (a
string, the values of ticked boxes or of a multiple select, the radio button chosen, the option chosen
among an external select's suggestions), the ids on it (``data-block``, ``data-action``, ``data-kind``,
``data-dispatch``: a select, radio button, checkbox or date sends ``block_actions`` when changed, a text or
number input when Enter is pressed; the view's ``data-view-id``, or the message's
``data-channel``/``data-ts``) and the HTML the server rendered.
After every interaction it reads ``/client/api/surface`` every :data:`POLL_MS` for :data:`WATCH_MS`
(bounded) and redraws the Home tab, the channel or the modal whose version changed, carrying
over what the user typed into controls that remain (Slack keeps input where block and action ids
stay).  Texts from the app reach the page only as server-escaped HTML or through ``textContent``.
"""

from __future__ import annotations

POLL_MS = 200
WATCH_MS = 10_000

CLIENT_CSS = """
main{max-width:none;padding:0}.client{display:flex;min-height:calc(100vh - 40px)}
.sidebar{width:220px;background:#3f0e40;color:#cfc3cf;padding:12px 0;flex:none}
.sidebar .ws-name{color:#fff;font-weight:800;font-size:17px;padding:0 16px 8px}
.sidebar .me{font-size:12px;padding:0 16px 12px}.sidebar .me a{color:#cfc3cf}.sidebar .me strong{color:#fff}
.side-title{font-size:13px;padding:8px 16px 4px}.app-link{display:block;color:#cfc3cf;text-decoration:none;padding:4px 16px}
.app-link[aria-current],.channel-link[aria-current]{background:#1164a3;color:#fff}
.channel-link{display:block;color:#cfc3cf;text-decoration:none;padding:2px 16px;font-size:15px}.pane{flex:1;padding:0 24px 24px;max-width:880px}
.app-head{display:flex;align-items:baseline;gap:16px;border-bottom:1px solid #ddd}.app-head h1{margin:14px 0 10px}
.tab.active{border-bottom:2px solid #007a5a;padding-bottom:8px;font-weight:700}
#client-error:not(:empty),.modal-error:not(:empty){background:#fde8ec;color:#a0001e;padding:8px 12px;border-radius:6px;margin:8px 0}
.b-accessory{flex:none}.b-input{margin:12px 0;display:flex;flex-direction:column;gap:4px}
.b-label{font-weight:700}.optional{font-weight:400;color:#616061}.b-hint{font-size:12px;color:#616061}
.b-error{color:#e01e5a;font-size:13px}.b-error:empty{display:none}.b-zone{font-size:12px;color:#616061;margin-left:6px}
.b-text-input,.b-number,.b-date,.b-datetime,.b-select,.b-external-query{font:inherit;padding:6px 8px;border:1px solid #bbb;border-radius:4px}
textarea.b-text-input{resize:vertical}.b-checkboxes{border:0;padding:0;margin:0}.b-checkbox{display:block}
.b-description{display:block;font-size:12px;color:#616061;margin-left:22px}
.b-overflow{font:inherit;border:1px solid #bbb;border-radius:4px;background:#fff}
button.b-button{background:#fff;cursor:pointer;font-family:inherit}
.b-external{position:relative}.b-suggestions{list-style:none;margin:0;padding:0;border:1px solid #ddd;border-radius:4px;background:#fff;position:absolute;z-index:2;min-width:240px}
.b-suggestions:empty{display:none}.b-suggestions li{padding:4px 10px;cursor:pointer}.b-suggestions li[role=option]:hover{background:#1164a3;color:#fff}
.b-suggestions li.group{font-size:12px;color:#616061;cursor:default}
.modal-backdrop{position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:flex-start;justify-content:center;padding-top:6vh}
.modal{background:#fff;border-radius:8px;width:520px;max-height:84vh;display:flex;flex-direction:column;box-shadow:0 18px 48px rgba(0,0,0,.35)}
.modal-head{display:flex;justify-content:space-between;align-items:center;padding:14px 20px;border-bottom:1px solid #ddd}
.modal-head h2{margin:0;font-size:20px}.modal-x{border:0;background:none;font-size:24px;cursor:pointer}
.modal-body{padding:8px 20px;overflow:auto}.modal-error{margin:0 20px}
.modal-foot{display:flex;justify-content:flex-end;gap:8px;padding:12px 20px;border-top:1px solid #ddd}
.picker{margin:16px 0}.home-view{padding-top:8px}
#home:empty::before{content:"Nothing here yet: the app has not published a Home tab for you.";color:#616061;display:block;padding:16px 0}
"""

CLIENT_JS = (
    """
(function () {
  "use strict";
  const POLL_MS = __POLL_MS__, WATCH_MS = __WATCH_MS__;
  let watchUntil = 0, watching = false;

  async function post(name, body) {
    try {
      const response = await fetch("/client/api/" + name, {
        method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
      return await response.json();
    } catch (e) {
      return {ok: false, error: "The sandbox did not answer."};
    }
  }
  const viewIdOf = (el) => { const s = el.closest("[data-view-id]"); return s ? s.dataset.viewId : null; };

  function rawOf(el) {
    if (el.dataset.kind === "checkboxes") {
      return Array.from(el.querySelectorAll("input[type=checkbox]:checked")).map((b) => b.value);
    }
    if (el.dataset.kind === "radio_buttons") {
      const picked = el.querySelector("input[type=radio]:checked");
      return picked ? picked.value : null;
    }
    if (el.dataset.kind === "multi_static_select") { return Array.from(el.selectedOptions).map((o) => o.value); }
    if (el.dataset.kind === "external_select") { return el.dataset.chosen ? JSON.parse(el.dataset.chosen) : null; }
    return el.value;
  }
  function collect(root) {
    const values = {};
    root.querySelectorAll("[data-kind]").forEach((el) => {
      const kind = el.dataset.kind;
      if (kind === "button" || kind === "overflow" || !el.dataset.action) { return; }
      (values[el.dataset.block] = values[el.dataset.block] || {})[el.dataset.action] = rawOf(el);
    });
    return values;
  }
  function carry(before, after) {
    if (!before || !after || before.dataset.viewId !== after.dataset.viewId) { return; }
    before.querySelectorAll("[data-kind][id]").forEach((old) => {
      const now = after.querySelector("#" + CSS.escape(old.id));
      if (!now || now.dataset.kind !== old.dataset.kind) { return; }
      if (old.dataset.kind === "checkboxes" || old.dataset.kind === "multi_static_select") {
        const ticked = new Set(rawOf(old));
        now.querySelectorAll("input[type=checkbox]").forEach((b) => { b.checked = ticked.has(b.value); });
        Array.from(now.querySelectorAll("option")).forEach((o) => { o.selected = ticked.has(o.value); });
      } else if (old.dataset.kind === "radio_buttons") {
        const picked = rawOf(old);
        now.querySelectorAll("input[type=radio]").forEach((b) => { b.checked = b.value === picked; });
      } else if (old.dataset.kind === "external_select") {
        now.dataset.chosen = old.dataset.chosen || "";
        now.querySelector(".b-external-query").value = old.querySelector(".b-external-query").value;
      } else if (old.dataset.kind !== "button" && old.dataset.kind !== "overflow") {
        now.value = old.value;
      }
    });
  }
  function swap(holder, part) {
    const version = part ? part.version : "";
    if (holder.dataset.version === version) { return; }
    const before = holder.querySelector(".surface");
    holder.innerHTML = part ? part.html : "";
    holder.dataset.version = version;
    carry(before, holder.querySelector(".surface"));
  }
  async function refresh() {
    const channel = document.getElementById("channel");
    const query = channel ? "?channel=" + encodeURIComponent(channel.dataset.channel) : "";
    const response = await fetch("/client/api/surface" + query, {cache: "no-store"});
    const surface = await response.json();
    const home = document.getElementById("home");
    if (home) { swap(home, surface.home); }
    if (channel && surface.channel) { swap(channel, surface.channel); }
    swap(document.getElementById("modal-root"), surface.modal);
  }
  function watch() {
    watchUntil = Date.now() + WATCH_MS;
    if (watching) { return; }
    watching = true;
    (async () => {
      while (Date.now() < watchUntil) {
        try { await refresh(); } catch (e) { /* the next round tries again */ }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      watching = false;
    })();
  }
  function errorBox(el) {
    const modal = el && el.closest(".modal");
    return modal ? modal.querySelector(".modal-error") : document.getElementById("client-error");
  }
  function show(result, where) {
    const box = errorBox(where);
    if (box) { box.textContent = result.ok ? "" : (result.error || ""); }
    const modal = where && where.closest(".modal");
    if (modal) {
      modal.querySelectorAll(".b-error").forEach((slot) => { slot.textContent = ""; });
      Object.entries(result.errors || {}).forEach(([blockId, text]) => {
        const slot = modal.querySelector('[data-error-for="' + CSS.escape(blockId) + '"]');
        if (slot) { slot.textContent = text; }
      });
    }
  }
  async function act(el, value) {
    const where = {block_id: el.dataset.block, action_id: el.dataset.action, value: value};
    const message = el.closest("article.msg[data-ts]");
    if (viewIdOf(el) === null && message) {
      where.channel = message.dataset.channel;
      where.message_ts = message.dataset.ts;
    } else { where.view_id = viewIdOf(el); }
    const result = await post("action", where);
    show(result, el);
    watch();
  }
  async function submit(modal) {
    const button = modal.querySelector(".modal-submit");
    button.disabled = true;
    const result = await post("submit", {view_id: modal.dataset.viewId, values: collect(modal)});
    button.disabled = false;
    show(result, button);
    watch();
  }
  async function closeModal(modal) {
    const result = await post("close", {view_id: modal.dataset.viewId});
    show(result, null);
    watch();
  }

  let typing = null;
  async function suggest(box) {
    const query = box.querySelector(".b-external-query").value;
    const list = box.querySelector(".b-suggestions");
    list.textContent = "";
    if (query.length < Number(box.dataset.minQuery || 3)) { return; }
    const result = await post("suggest", {
      view_id: viewIdOf(box), block_id: box.dataset.block, action_id: box.dataset.action, value: query});
    const add = (option) => {
      const item = document.createElement("li");
      item.setAttribute("role", "option");
      item.textContent = (option.text && option.text.text) || option.value;
      item.dataset.option = JSON.stringify({text: option.text, value: option.value});
      list.appendChild(item);
    };
    (result.options || []).forEach((entry) => {
      if (Array.isArray(entry.options)) {
        const label = document.createElement("li");
        label.className = "group";
        label.textContent = (entry.label && entry.label.text) || "";
        list.appendChild(label);
        entry.options.forEach(add);
      } else { add(entry); }
    });
  }

  document.addEventListener("click", (event) => {
    const target = event.target;
    const option = target.closest(".b-suggestions li[role=option]");
    if (option) {
      const box = option.closest(".b-external");
      box.dataset.chosen = option.dataset.option;
      box.querySelector(".b-external-query").value = option.textContent;
      option.parentElement.textContent = "";
      if (box.hasAttribute("data-dispatch")) { act(box, JSON.parse(box.dataset.chosen)); }
      return;
    }
    const button = target.closest('[data-kind="button"]');
    if (button) {  // a link button opens its URL (default action) and still sends block_actions
      if (button.tagName !== "A") { event.preventDefault(); }
      act(button, button.dataset.value === undefined ? null : button.dataset.value);
      return;
    }
    const modal = target.closest(".modal");
    if (modal && target.closest(".modal-submit")) { submit(modal); }
    if (modal && target.closest(".modal-close, .modal-x")) { closeModal(modal); }
  });
  const TYPED = new Set(["plain_text_input", "number_input"]);  // they dispatch on Enter, not on change
  document.addEventListener("change", (event) => {
    const el = event.target.closest("[data-dispatch]");
    if (!el || el.dataset.kind === "external_select" || TYPED.has(el.dataset.kind)) { return; }
    if (el.dataset.kind === "overflow") {
      const picked = el.selectedOptions[0];
      if (picked && picked.dataset.url) { window.open(picked.dataset.url, "_blank", "noopener"); }
      const value = el.value;
      el.value = "";
      if (value) { act(el, value); }
      return;
    }
    act(el, rawOf(el));
  });
  document.addEventListener("keydown", (event) => {
    const el = event.target.closest("[data-dispatch]");
    if (event.key !== "Enter" || !el || !TYPED.has(el.dataset.kind) || el.tagName === "TEXTAREA") { return; }
    event.preventDefault();
    act(el, rawOf(el));
  });
  document.addEventListener("input", (event) => {
    const box = event.target.closest(".b-external");
    if (!box || !event.target.classList.contains("b-external-query")) { return; }
    box.dataset.chosen = "";
    clearTimeout(typing);
    typing = setTimeout(() => suggest(box), 200);
  });
  if (window.SANDBOX_HOME_OPENED) { post("home-opened", {}).then(watch); }
})();
""".replace("__POLL_MS__", str(POLL_MS)).replace("__WATCH_MS__", str(WATCH_MS))
)
