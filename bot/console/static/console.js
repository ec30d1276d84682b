/* Relay agent console: plain ES2020, no dependencies, no build step.
 *
 * Every string that comes from the server (and so, ultimately, from customers)
 * is rendered with textContent / text nodes / setAttribute on inert attributes.
 * Nothing here ever assigns innerHTML, and no style attributes are set (the page
 * runs under a strict CSP); the mood chart uses SVG geometry attributes only.
 */
"use strict";

(() => {
  // ---------------------------------------------------------------- setup --
  // API base is derived from this script's own URL (/console/static/console.js
  // -> /console/api/v1/), so it works whether or not the page URL has a
  // trailing slash.
  const API = (() => {
    try {
      if (document.currentScript && document.currentScript.src) {
        return new URL("../api/v1/", document.currentScript.src).pathname;
      }
    } catch (_) { /* fall through */ }
    return "/console/api/v1/";
  })();

  const QUEUE_POLL_MS = 2000;
  const TICKET_POLL_MS = 2000;
  const AGENTS_POLL_MS = 15000;
  const SVG_NS = "http://www.w3.org/2000/svg";

  const $ = (id) => document.getElementById(id);

  const dom = {
    boot: $("boot"),
    loginView: $("login-view"),
    loginForm: $("login-form"),
    loginUser: $("login-username"),
    loginPass: $("login-password"),
    loginError: $("login-error"),
    loginNotice: $("login-notice"),
    loginSubmit: $("login-submit"),
    session: $("session"),
    agentName: $("agent-name"),
    logout: $("logout"),
    error: $("error"),
    errorDismiss: $("error-dismiss"),
    app: $("app-view"),
    queue: $("queue"),
    queueEmpty: $("queue-empty"),
    queueCount: $("queue-count"),
    queueFilter: $("queue-filter"),
    ticketPane: $("ticket-pane"),
    placeholder: $("ticket-placeholder"),
    ticket: $("ticket"),
    title: $("ticket-title"),
    priority: $("ticket-priority"),
    status: $("ticket-status"),
    meta: $("ticket-meta"),
    reasonLabel: $("ticket-reason-label"),
    explanation: $("ticket-explanation"),
    followUp: $("ticket-follow-up"),
    claim: $("claim"),
    transferTo: $("transfer-to"),
    transfer: $("transfer"),
    returnBtn: $("return"),
    resolve: $("resolve"),
    transcript: $("transcript"),
    newMessages: $("new-messages"),
    replyForm: $("reply-form"),
    replyText: $("reply-text"),
    replySend: $("reply-send"),
    replyHint: $("reply-hint"),
    summaryBody: $("summary-body"),
    moodWrap: $("mood-wrap"),
    csat: $("csat"),
    csatBody: $("csat-body"),
    notes: $("notes"),
    noteForm: $("note-form"),
    noteText: $("note-text"),
    noteSend: $("note-send"),
    history: $("history"),
    earlier: $("earlier-tickets"),
    live: $("live"),
  };

  const state = {
    me: null,
    agents: [],
    agentsSig: "",
    filter: "open",
    tickets: [],
    knownIds: null,          // ids seen in the queue (null until first load)
    ticketId: null,
    ticket: null,
    sectionSigs: {},         // per-section signature, to skip no-op re-renders
    turnSigs: [],            // signatures of the transcript turns in the DOM
    busy: false,
    replyDrafts: new Map(),
    noteDrafts: new Map(),
    connectionError: false,
    stickToBottom: true,
    pendingTicket: (() => {
      const m = /^#ticket\/(\d+)$/.exec(location.hash);
      return m ? Number(m[1]) : null;
    })(),
  };

  let queueSeq = 0;
  let queueApplied = 0;
  let ticketSeq = 0;
  let ticketApplied = 0;

  // -------------------------------------------------------------- helpers --
  /** Create an element. attrs: class/text handled specially, others via setAttribute. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [key, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (key === "class") node.className = value;
        else if (key === "text") node.textContent = String(value);
        else node.setAttribute(key, value === true ? "" : String(value));
      }
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    if (attrs) {
      for (const [key, value] of Object.entries(attrs)) {
        if (value === null || value === undefined) continue;
        if (key === "text") node.textContent = String(value);
        else node.setAttribute(key, String(value));
      }
    }
    return node;
  }

  const str = (v) => (v === null || v === undefined ? "" : String(v));
  const humanize = (code) => str(code).replace(/_/g, " ").trim();
  const sentenceCase = (s) => {
    const t = humanize(s);
    return t ? t.charAt(0).toUpperCase() + t.slice(1) : t;
  };

  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
  const dateFmt = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });
  const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

  function parseDate(iso) {
    if (!iso) return null;
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  function fmtTime(iso) {
    const d = parseDate(iso);
    if (!d) return "";
    const now = new Date();
    const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth()
      && d.getDate() === now.getDate();
    return sameDay ? timeFmt.format(d) : dateTimeFmt.format(d);
  }
  function fmtDate(iso) {
    const d = parseDate(iso);
    return d ? dateFmt.format(d) : "";
  }
  function fmtFull(iso) {
    const d = parseDate(iso);
    return d ? fullFmt.format(d) : "";
  }
  function timeEl(iso, text) {
    return el("time", { datetime: parseDate(iso) ? iso : null, title: fmtFull(iso) || null },
      text === undefined ? fmtTime(iso) : text);
  }
  function fmtDuration(seconds) {
    const s = Math.max(0, Math.floor(Number(seconds) || 0));
    if (s < 60) return "<1 min";
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min`;
    const h = Math.floor(m / 60);
    if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
    const d = Math.floor(h / 24);
    return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
  }
  function fmtNum(n, digits = 2) {
    const x = Number(n);
    return Number.isFinite(x) ? x.toFixed(digits) : "";
  }
  function customerName(t) {
    return (t && t.customer && t.customer.name) ? String(t.customer.name) : "Customer";
  }
  function agentDisplay(usernameOrName) {
    if (!usernameOrName) return "Agent";
    const found = state.agents.find((a) => a.username === usernameOrName);
    if (found && found.name) return found.name;
    if (state.me && state.me.username === usernameOrName && state.me.name) return state.me.name;
    return String(usernameOrName);
  }
  function personName(p) {
    if (!p) return "";
    return str(p.name) || str(p.username);
  }
  function isMine(t) {
    return !!(t && t.assignee && state.me && t.assignee.username === state.me.username);
  }
  function sig(value) {
    try { return JSON.stringify(value); } catch (_) { return String(Math.random()); }
  }
  /** Run render() only when the data for that section changed. */
  function section(name, data, render) {
    const s = sig(data);
    if (state.sectionSigs[name] === s) return;
    state.sectionSigs[name] = s;
    render();
  }
  function truncate(s, n) {
    const t = str(s);
    return t.length > n ? `${t.slice(0, n - 1)}…` : t;
  }

  // ----------------------------------------------------------------- api --
  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json", "X-Relay-Console": "1" };
    const options = { method, credentials: "same-origin", cache: "no-store", headers };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body === undefined ? {} : body);
    }
    let res;
    try {
      res = await fetch(API + path, options);
    } catch (_) {
      throw new ApiError(0, "Can't reach the server. Retrying…");
    }
    let data = null;
    try { data = await res.json(); } catch (_) { data = null; }
    if (!res.ok) {
      const message = (data && typeof data.error === "string" && data.error)
        || (res.status >= 500 ? `Server error (${res.status}). Please try again.` : `Request failed (${res.status}).`);
      if (res.status === 401 && path !== "login") signedOut(true);
      throw new ApiError(res.status, message);
    }
    return data || {};
  }

  // --------------------------------------------------------------- errors --
  function showError(message) {
    dom.error.textContent = message;
    dom.errorDismiss.hidden = !message;
  }
  function clearError() {
    state.connectionError = false;
    showError("");
  }
  function connectionLost(err) {
    if (err && err.status === 0) {
      state.connectionError = true;
      showError(err.message);
    }
  }
  function connectionOk() {
    if (state.connectionError) clearError();
  }
  dom.errorDismiss.addEventListener("click", clearError);

  function announce(message) {
    dom.live.textContent = "";
    window.setTimeout(() => { dom.live.textContent = message; }, 60);
  }

  // -------------------------------------------------------------- pollers --
  function makePoller(fn, interval) {
    let timer = null;
    let active = false;
    let running = false;
    async function tick() {
      timer = null;
      if (!active || running) return;
      running = true;
      try { await fn(); } catch (_) { /* reported by fn */ }
      running = false;
      if (active && timer === null) timer = window.setTimeout(tick, interval);
    }
    return {
      start() {
        active = true;
        if (timer === null && !running) tick();
      },
      /** Keep polling, but only after a full interval (the caller just fetched). */
      restartLater() {
        active = true;
        if (timer !== null) window.clearTimeout(timer);
        timer = window.setTimeout(tick, interval);
      },
      stop() {
        active = false;
        if (timer !== null) window.clearTimeout(timer);
        timer = null;
      },
    };
  }

  const queuePoller = makePoller(loadQueue, QUEUE_POLL_MS);
  const ticketPoller = makePoller(() => (state.ticketId ? loadTicket(state.ticketId) : null), TICKET_POLL_MS);
  const agentsPoller = makePoller(loadAgents, AGENTS_POLL_MS);

  // --------------------------------------------------------------- session --
  function showLogin(notice) {
    dom.boot.hidden = true;
    dom.app.hidden = true;
    dom.session.hidden = true;
    dom.loginView.hidden = false;
    dom.loginNotice.textContent = notice || "";
    dom.loginNotice.hidden = !notice;
    dom.loginError.textContent = "";
    dom.loginSubmit.disabled = false;
    document.title = "Sign in · Relay agent console";
    window.setTimeout(() => (dom.loginUser.value ? dom.loginPass : dom.loginUser).focus(), 0);
  }

  function showApp() {
    dom.boot.hidden = true;
    dom.loginView.hidden = true;
    dom.app.hidden = false;
    dom.session.hidden = false;
    dom.agentName.textContent = personName(state.me) || "Agent";
    queuePoller.start();
    agentsPoller.start();
    if (state.pendingTicket !== null && state.ticketId === null) openTicket(state.pendingTicket);
    state.pendingTicket = null;
  }

  function resetWorkspace(keepHash) {
    queuePoller.stop();
    ticketPoller.stop();
    agentsPoller.stop();
    state.tickets = [];
    state.knownIds = null;
    state.ticketId = null;
    state.ticket = null;
    state.sectionSigs = {};
    state.turnSigs = [];
    state.replyDrafts.clear();
    state.noteDrafts.clear();
    state.agents = [];
    state.agentsSig = "";
    dom.queue.replaceChildren();
    dom.transcript.replaceChildren();
    dom.replyText.value = "";
    dom.noteText.value = "";
    dom.ticket.hidden = true;
    dom.placeholder.hidden = false;
    if (!keepHash && location.hash) history.replaceState(null, "", location.pathname + location.search);
  }

  function signedOut(expired) {
    const wasSignedIn = !!state.me;
    // After an expired session, reopen the same ticket once signed in again.
    if (expired && state.ticketId !== null) state.pendingTicket = state.ticketId;
    if (!expired) state.pendingTicket = null;
    state.me = null;
    resetWorkspace(expired);
    clearError();
    showLogin(expired && wasSignedIn ? "Your session has ended. Please sign in again." : "");
  }

  dom.loginForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = dom.loginUser.value.trim();
    const password = dom.loginPass.value;
    dom.loginError.textContent = "";
    if (!username || !password) {
      dom.loginError.textContent = "Enter your username and password.";
      (username ? dom.loginPass : dom.loginUser).focus();
      return;
    }
    dom.loginSubmit.disabled = true;
    try {
      const data = await api("POST", "login", { username, password });
      state.me = data.agent || { username, name: username };
      dom.loginPass.value = "";
      dom.loginNotice.hidden = true;
      clearError();
      showApp();
    } catch (err) {
      dom.loginError.textContent = err.status === 401 ? "Wrong username or password" : err.message;
      dom.loginPass.value = "";
      dom.loginPass.focus();
    } finally {
      dom.loginSubmit.disabled = false;
    }
  });

  dom.logout.addEventListener("click", async () => {
    dom.logout.disabled = true;
    try {
      await api("POST", "logout", {});
    } catch (_) { /* signing out locally anyway */ }
    dom.logout.disabled = false;
    signedOut(false);
  });

  // ---------------------------------------------------------------- agents --
  async function loadAgents() {
    try {
      const data = await api("GET", "agents");
      state.agents = Array.isArray(data.agents) ? data.agents : [];
      renderTransferOptions();
    } catch (err) {
      connectionLost(err);
    }
  }

  function renderTransferOptions() {
    const others = state.agents.filter((a) => !state.me || a.username !== state.me.username);
    const s = sig(others);
    if (s === state.agentsSig) return;
    state.agentsSig = s;
    const select = dom.transferTo;
    const keep = select.value;
    const options = [el("option", { value: "" }, "Transfer to…")];
    for (const a of others) {
      const label = `${personName(a)}${a.online ? "" : " (offline)"}`;
      options.push(el("option", { value: str(a.username) }, label));
    }
    select.replaceChildren(...options);
    if (others.some((a) => a.username === keep)) select.value = keep;
  }

  // ----------------------------------------------------------------- queue --
  async function loadQueue() {
    const seq = ++queueSeq;
    const filter = state.filter;
    try {
      const data = await api("GET", `tickets?status=${encodeURIComponent(filter)}`);
      if (!state.me || seq < queueApplied || filter !== state.filter) return;
      queueApplied = seq;
      connectionOk();
      renderQueue(Array.isArray(data.tickets) ? data.tickets : []);
    } catch (err) {
      connectionLost(err);
    }
  }

  function renderQueue(tickets) {
    state.tickets = tickets;
    const list = dom.queue;
    const existing = new Map();
    for (const li of Array.from(list.children)) existing.set(li.dataset.key, li);

    tickets.forEach((t, index) => {
      const key = String(t.id);
      let li = existing.get(key);
      if (li) existing.delete(key);
      else li = createQueueItem(t.id);
      fillQueueItem(li.firstElementChild, t);
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
    });
    for (const li of existing.values()) {
      const hadFocus = li.contains(document.activeElement);
      li.remove();
      if (hadFocus) {
        const first = list.querySelector(".queue-item");
        if (first) first.focus();
      }
    }

    const emptyText = state.filter === "open" ? "No open tickets right now." : "No tickets yet.";
    dom.queueEmpty.textContent = emptyText;
    dom.queueEmpty.hidden = tickets.length > 0;
    const waiting = tickets.filter((t) => t.status === "waiting").length;
    dom.queueCount.textContent = tickets.length ? String(tickets.length) : "";
    document.title = waiting ? `(${waiting}) Relay · Agent console` : "Relay · Agent console";

    // Announce tickets that appeared since the last poll (not on first load).
    if (state.knownIds) {
      const fresh = tickets.filter((t) => !state.knownIds.has(t.id) && t.status === "waiting");
      if (fresh.length === 1) {
        const t = fresh[0];
        announce(`New ${str(t.priority_label)} ticket from ${customerName(t)}: ${str(t.reason)}`);
      } else if (fresh.length > 1) {
        announce(`${fresh.length} new tickets in the queue`);
      }
    }
    state.knownIds = new Set(tickets.map((t) => t.id));
  }

  function createQueueItem(id) {
    const button = el("button", {
      type: "button", class: "queue-item", "data-testid": "queue-item", "data-ticket-id": String(id),
    });
    button.addEventListener("click", () => openTicket(id, { focus: false }));
    const li = el("li", { class: "queue-row" }, button);
    li.dataset.key = String(id);
    return li;
  }

  function fillQueueItem(button, t) {
    const label = str(t.priority_label) || "normal";
    const open = t.status === "waiting" || t.status === "assigned";
    button.setAttribute("data-ticket-id", String(t.id));
    button.className = `queue-item prio-${label} st-${str(t.status)}${t.id === state.ticketId ? " is-selected" : ""}`;
    if (t.id === state.ticketId) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");

    const unread = Number(t.unread) || 0;
    const assignee = t.assignee
      ? (isMine(t) ? "You" : personName(t.assignee))
      : (open ? "Unassigned" : "");

    const top = el("span", { class: "qi-top" },
      el("span", { class: `badge prio prio-${label}`, "data-testid": "queue-priority" }, label),
      el("span", { class: "qi-name" }, customerName(t)),
      open
        ? el("span", { class: "qi-wait", "data-testid": "queue-waiting", title: "Waiting time" }, fmtDuration(t.waiting_seconds))
        : el("span", { class: "qi-wait" }, fmtTime(t.updated_at)));
    const reason = el("span", { class: "qi-reason" }, str(t.reason));
    const summary = el("span", { class: "qi-summary" }, str(t.summary));
    const bottom = el("span", { class: "qi-bottom" },
      el("span", { class: `qi-status status status-${str(t.status)}` }, humanize(t.status)),
      assignee ? el("span", { class: `qi-assignee${t.assignee ? "" : " is-unassigned"}` }, assignee) : null,
      unread > 0
        ? el("span", { class: "unread", "data-testid": "queue-unread", title: `${unread} unread` },
          el("span", { class: "sr-only" }, "unread messages: "), String(unread))
        : null);
    button.replaceChildren(top, reason, summary, bottom);
  }

  dom.queueFilter.addEventListener("click", () => {
    state.filter = state.filter === "open" ? "all" : "open";
    dom.queueFilter.dataset.filter = state.filter;
    dom.queueFilter.setAttribute("aria-pressed", state.filter === "all" ? "true" : "false");
    state.knownIds = null;
    loadQueue();
  });

  dom.queue.addEventListener("keydown", (event) => {
    const items = Array.from(dom.queue.querySelectorAll(".queue-item"));
    const index = items.indexOf(document.activeElement);
    if (index < 0) return;
    let next = null;
    if (event.key === "ArrowDown") next = items[Math.min(items.length - 1, index + 1)];
    else if (event.key === "ArrowUp") next = items[Math.max(0, index - 1)];
    else if (event.key === "Home") next = items[0];
    else if (event.key === "End") next = items[items.length - 1];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  function markSelected() {
    for (const button of dom.queue.querySelectorAll(".queue-item")) {
      const selected = Number(button.getAttribute("data-ticket-id")) === state.ticketId;
      button.classList.toggle("is-selected", selected);
      if (selected) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    }
  }

  // ---------------------------------------------------------------- ticket --
  function openTicket(id, { focus = false } = {}) {
    if (!Number.isFinite(id)) return;
    if (state.ticketId === id) {
      loadTicket(id);
      return;
    }
    // Keep per-ticket drafts of the reply and the note.
    if (state.ticketId !== null) {
      state.replyDrafts.set(state.ticketId, dom.replyText.value);
      state.noteDrafts.set(state.ticketId, dom.noteText.value);
    }
    state.ticketId = id;
    state.ticket = null;
    state.sectionSigs = {};
    state.turnSigs = [];
    dom.transcript.replaceChildren();
    dom.replyText.value = state.replyDrafts.get(id) || "";
    dom.noteText.value = state.noteDrafts.get(id) || "";
    dom.newMessages.hidden = true;
    state.stickToBottom = true;
    dom.ticket.classList.add("is-loading");
    history.replaceState(null, "", `#ticket/${id}`);
    markSelected();
    loadTicket(id);
    ticketPoller.restartLater();
    if (focus) dom.ticketPane.focus();
  }

  async function loadTicket(id) {
    const seq = ++ticketSeq;
    try {
      const data = await api("GET", `tickets/${encodeURIComponent(id)}`);
      if (state.ticketId !== id) return;
      connectionOk();
      if (data.ticket) applyTicket(data.ticket, seq);
    } catch (err) {
      if (state.ticketId !== id) return;
      if (err.status === 404) {
        showError(err.message || "Ticket not found");
        closeTicket();
      } else if (err.status === 0) {
        connectionLost(err);
      } else if (err.status !== 401) {
        showError(err.message);
      }
    }
  }

  function closeTicket() {
    ticketPoller.stop();
    state.ticketId = null;
    state.ticket = null;
    dom.ticket.hidden = true;
    dom.placeholder.hidden = false;
    markSelected();
    history.replaceState(null, "", location.pathname + location.search);
  }

  function applyTicket(t, seq) {
    if (seq < ticketApplied) return; // an older response overtaken by a newer one
    ticketApplied = seq;
    if (t.id !== state.ticketId) return;
    const fresh = state.ticket === null;
    state.ticket = t;
    renderTicket(t, fresh);
  }

  function renderTicket(t, fresh) {
    // Preserve scroll positions of every scroll container we may touch.
    const context = dom.ticket.querySelector(".context");
    const scrolls = [dom.ticketPane, context].map((node) => [node, node.scrollTop]);

    dom.placeholder.hidden = true;
    dom.ticket.hidden = false;
    dom.ticket.classList.remove("is-loading");
    dom.ticket.setAttribute("data-ticket-id", String(t.id));

    renderHeader(t);
    section("summary", t.context, () => renderSummary(t));
    section("mood", (t.transcript || []).filter((x) => x.speaker === "customer")
      .map((x) => [x.sentiment, x.frustration, x.time]), () => renderMood(t));
    renderTranscript(t, fresh);
    section("csat", t.csat, () => renderCsat(t));
    section("notes", t.notes, () => renderNotes(t));
    section("history", [t.history, state.agents.length], () => renderHistory(t));
    section("earlier", t.earlier_tickets, () => renderEarlier(t));
    updateActions();

    if (!fresh) for (const [node, top] of scrolls) node.scrollTop = top;
    if (state.stickToBottom) dom.transcript.scrollTop = dom.transcript.scrollHeight;
    else {
      dom.ticketPane.scrollTop = 0;
      context.scrollTop = 0;
    }
  }

  function renderHeader(t) {
    const label = str(t.priority_label) || "normal";
    dom.title.textContent = customerName(t);
    dom.title.setAttribute("title", customerName(t));
    dom.priority.className = `badge prio prio-${label}`;
    dom.priority.textContent = label;
    dom.priority.setAttribute("data-priority", String(t.priority));
    dom.status.className = `status status-${str(t.status)}`;
    dom.status.setAttribute("data-status", str(t.status));
    dom.status.textContent = humanize(t.status);

    const open = t.status === "waiting" || t.status === "assigned";
    const parts = [];
    parts.push(el("span", { class: "meta-id" }, `#${t.id}`));
    if (t.customer && t.customer.email) parts.push(el("span", { class: "meta-email" }, str(t.customer.email)));
    if (t.channel) parts.push(el("span", null, `via ${str(t.channel)}`));
    parts.push(el("span", null, "opened ", timeEl(t.created_at)));
    if (open) parts.push(el("span", { "data-testid": "ticket-waiting" }, `waiting ${fmtDuration(t.waiting_seconds)}`));
    if (t.assignee) {
      parts.push(el("span", { class: "meta-assignee", "data-testid": "ticket-assignee" },
        `${open ? "assigned to" : "handled by"} ${isMine(t) ? "you" : personName(t.assignee)}`));
    } else if (open) {
      parts.push(el("span", { class: "meta-assignee is-unassigned", "data-testid": "ticket-assignee" }, "unassigned"));
    }
    const nodes = [];
    parts.forEach((p, i) => {
      if (i) nodes.push(el("span", { class: "sep", "aria-hidden": "true" }, "·"));
      nodes.push(p);
    });
    dom.meta.replaceChildren(...nodes);

    dom.reasonLabel.textContent = str(t.reason) || humanize(t.reason_code) || "Handoff";
    dom.explanation.textContent = str(t.explanation);
    dom.explanation.hidden = !t.explanation;

    if (t.follow_up && t.follow_up.email) {
      const by = t.follow_up.by ? ` by ${fmtFull(t.follow_up.by)}` : "";
      dom.followUp.replaceChildren(
        el("span", { class: "follow-up-label" }, "Follow up by email"),
        " ", el("span", { class: "follow-up-email" }, str(t.follow_up.email)), by);
      dom.followUp.hidden = false;
    } else {
      dom.followUp.replaceChildren();
      dom.followUp.hidden = true;
    }
  }

  function renderSummary(t) {
    const c = t.context || {};
    const out = [];

    out.push(el("p", { class: "wants", "data-testid": "ticket-wants" },
      el("span", { class: "field-label" }, "Wants"), el("span", { class: "wants-text" }, str(c.wants) || "Not known")));

    const details = c.details && typeof c.details === "object" ? Object.entries(c.details) : [];
    const dl = el("dl", { class: "details", "data-testid": "ticket-details" });
    for (const [key, value] of details) {
      if (value === null || value === undefined || value === "") continue;
      const shown = typeof value === "object" ? sig(value) : String(value);
      dl.append(el("div", { class: "detail" }, el("dt", null, sentenceCase(key)), el("dd", null, shown)));
    }
    if (!dl.childElementCount) dl.append(el("div", { class: "detail is-empty" }, el("dt", null, "Details"), el("dd", null, "None collected")));
    out.push(dl);

    const intents = Array.isArray(c.intents) ? c.intents : [];
    if (intents.length) {
      out.push(el("div", { class: "field" }, el("span", { class: "field-label" }, "Intents"),
        el("ul", { class: "chips", "data-testid": "ticket-intents" },
          ...intents.map((i) => el("li", { class: "chip" }, str(i))))));
    }

    const tried = Array.isArray(c.tried) ? c.tried : [];
    out.push(el("div", { class: "field" }, el("span", { class: "field-label" }, "Bot already tried"),
      tried.length
        ? el("ul", { class: "tried", "data-testid": "ticket-tried" }, ...tried.map((x) => el("li", null, str(x))))
        : el("p", { class: "muted" }, "Nothing yet")));

    const f = c.frustration;
    if (f) {
      const level = str(f.level).toLowerCase() || "unknown";
      const reasons = Array.isArray(f.reasons) ? f.reasons : [];
      out.push(el("div", { class: "field", "data-testid": "ticket-frustration" },
        el("span", { class: "field-label" }, "Frustration"),
        el("p", { class: "frustration" },
          el("span", { class: `level level-${level.replace(/[^a-z_-]/g, "")}` }, level),
          Number.isFinite(Number(f.score)) ? el("span", { class: "muted" }, ` score ${fmtNum(f.score)}`) : null),
        reasons.length
          ? el("ul", { class: "reasons" }, ...reasons.map((r) => el("li", null, str(r.detail) || humanize(r.code))))
          : null));
    }
    dom.summaryBody.replaceChildren(...out);
  }

  // ----------------------------------------------------------- mood chart --
  function renderMood(t) {
    const turns = (t.transcript || []).filter((x) => x.speaker === "customer");
    const W = 320;
    const H = 96;
    const left = 28;
    const right = W - 22;
    const top = 24;
    const bottom = H - 8;
    const plotH = bottom - top;
    const chart = svg("svg", {
      class: "mood-chart", "data-testid": "mood-chart", viewBox: `0 0 ${W} ${H}`,
      width: W, height: H, role: "img", "aria-labelledby": "mood-title mood-desc", focusable: "false",
    });
    chart.append(svg("title", { id: "mood-title", text: "Customer sentiment and frustration per message" }));

    const sentiments = turns.map((x) => (x.sentiment && Number.isFinite(Number(x.sentiment.score)) ? Number(x.sentiment.score) : null));
    const frustrations = turns.map((x) => (Number.isFinite(Number(x.frustration)) && x.frustration !== null ? Number(x.frustration) : null));
    const lastS = [...sentiments].reverse().find((v) => v !== null);
    const lastF = [...frustrations].reverse().find((v) => v !== null);
    let desc = `${turns.length} customer message${turns.length === 1 ? "" : "s"}.`;
    if (lastS !== undefined) desc += ` Latest sentiment ${fmtNum(lastS)} on a scale from -1 to 1.`;
    if (lastF !== undefined) desc += ` Latest frustration ${fmtNum(lastF)} on a scale from 0 to 1.`;
    chart.append(svg("desc", { id: "mood-desc", text: desc }));

    // Legend.
    const legend = svg("g", { class: "legend" });
    legend.append(svg("line", { class: "line-sentiment", x1: left, y1: 9, x2: left + 16, y2: 9 }));
    legend.append(svg("text", { x: left + 21, y: 12, text: "Sentiment (−1…1)" }));
    legend.append(svg("line", { class: "line-frustration", x1: left + 138, y1: 9, x2: left + 154, y2: 9 }));
    legend.append(svg("text", { x: left + 159, y: 12, text: "Frustration (0…1)" }));
    chart.append(legend);

    // Grid: top, middle (sentiment 0) and bottom.
    const grid = svg("g", { class: "grid" });
    grid.append(svg("line", { x1: left, y1: top, x2: right, y2: top }));
    grid.append(svg("line", { class: "zero", x1: left, y1: top + plotH / 2, x2: right, y2: top + plotH / 2 }));
    grid.append(svg("line", { x1: left, y1: bottom, x2: right, y2: bottom }));
    chart.append(grid);
    const axis = svg("g", { class: "axis" });
    axis.append(svg("text", { x: left - 5, y: top + 3, "text-anchor": "end", text: "+1" }));
    axis.append(svg("text", { x: left - 5, y: top + plotH / 2 + 3, "text-anchor": "end", text: "0" }));
    axis.append(svg("text", { x: left - 5, y: bottom + 3, "text-anchor": "end", text: "−1" }));
    axis.append(svg("text", { class: "axis-f", x: right + 5, y: top + 3, text: "1" }));
    axis.append(svg("text", { class: "axis-f", x: right + 5, y: bottom + 3, text: "0" }));
    chart.append(axis);

    if (!turns.length) {
      chart.append(svg("text", { class: "empty", x: (left + right) / 2, y: top + plotH / 2 - 4, "text-anchor": "middle", text: "No customer messages yet" }));
      dom.moodWrap.replaceChildren(chart);
      return;
    }

    const xAt = (i) => (turns.length === 1 ? (left + right) / 2 : left + 6 + (i * (right - left - 12)) / (turns.length - 1));
    const ySent = (v) => top + ((1 - Math.max(-1, Math.min(1, v))) / 2) * plotH;
    const yFrus = (v) => top + (1 - Math.max(0, Math.min(1, v))) * plotH;
    const round = (v) => Math.round(v * 10) / 10;

    const series = [
      { values: frustrations, y: yFrus, cls: "frustration", label: "frustration" },
      { values: sentiments, y: ySent, cls: "sentiment", label: "sentiment" },
    ];
    for (const s of series) {
      const pts = [];
      s.values.forEach((v, i) => { if (v !== null) pts.push([round(xAt(i)), round(s.y(v))]); });
      if (pts.length > 1) {
        chart.append(svg("polyline", { class: `line-${s.cls}`, points: pts.map((p) => p.join(",")).join(" ") }));
      }
      const dots = svg("g", { class: `dots dots-${s.cls}` });
      s.values.forEach((v, i) => {
        if (v === null) return;
        const dot = svg("circle", { cx: round(xAt(i)), cy: round(s.y(v)), r: 2.6 });
        const turn = turns[i];
        const extra = s.cls === "sentiment" && turn.sentiment && turn.sentiment.label ? ` (${turn.sentiment.label})` : "";
        dot.append(svg("title", { text: `Message ${i + 1}, ${fmtTime(turn.time)}: ${s.label} ${fmtNum(v)}${extra}` }));
        dots.append(dot);
      });
      chart.append(dots);
    }
    dom.moodWrap.replaceChildren(chart);
  }

  // ------------------------------------------------------------ transcript --
  function turnSig(x) {
    return sig([x.time, x.speaker, x.text, x.intent, x.confidence, x.sentiment, x.frustration, x.agent]);
  }

  function renderTranscript(t, fresh) {
    const turns = Array.isArray(t.transcript) ? t.transcript : [];
    const sigs = turns.map(turnSig);
    const box = dom.transcript;
    const nearBottom = state.stickToBottom;
    const old = state.turnSigs;
    const isPrefix = old.length <= sigs.length && old.every((s, i) => s === sigs[i]);

    let added = [];
    if (isPrefix && box.childElementCount === old.length) {
      added = turns.slice(old.length);
      for (const turn of added) box.append(renderTurn(turn, t));
    } else {
      const keep = box.scrollTop;
      box.replaceChildren(...turns.map((turn) => renderTurn(turn, t)));
      if (!fresh) box.scrollTop = keep;
      if (!fresh && sigs.length > old.length) added = turns.slice(old.length);
    }
    state.turnSigs = sigs;

    if (!turns.length && !box.childElementCount) {
      box.append(el("li", { class: "turn-empty" }, "No messages yet."));
      state.turnSigs = [];
    }

    if (fresh || (added.length && nearBottom)) {
      pinTranscript();
      dom.newMessages.hidden = true;
    } else if (added.length) {
      dom.newMessages.hidden = false;
    }

    if (!fresh) {
      const fromCustomer = added.filter((x) => x.speaker === "customer");
      if (fromCustomer.length === 1) {
        announce(`New message from ${customerName(t)}: ${truncate(fromCustomer[0].text, 240)}`);
      } else if (fromCustomer.length > 1) {
        announce(`${fromCustomer.length} new messages from ${customerName(t)}. Latest: ${truncate(fromCustomer[fromCustomer.length - 1].text, 240)}`);
      }
    }
  }

  function renderTurn(x, t) {
    const speaker = ["customer", "bot", "agent", "system"].includes(x.speaker) ? x.speaker : "system";
    let who;
    if (speaker === "customer") who = customerName(t);
    else if (speaker === "bot") who = "Relay bot";
    else if (speaker === "agent") who = agentDisplay(x.agent);
    else who = "System";

    const meta = el("div", { class: "turn-meta" },
      el("span", { class: "turn-speaker" }, who),
      speaker === "agent" ? el("span", { class: "turn-role" }, "agent") : null,
      timeEl(x.time));

    const body = el("p", { class: "turn-text" }, str(x.text));
    const children = [meta, body];

    if (speaker === "customer") {
      const nlu = el("div", { class: "turn-nlu" });
      if (x.intent) {
        const conf = x.confidence === null || x.confidence === undefined ? "" : ` ${fmtNum(x.confidence)}`;
        nlu.append(el("span", { class: "nlu-intent", "data-testid": "turn-intent", title: "Intent and confidence" }, `${str(x.intent)}${conf}`));
      }
      if (x.sentiment && x.sentiment.label) {
        const label = str(x.sentiment.label).toLowerCase();
        nlu.append(el("span", {
          class: `sentiment sentiment-${label.replace(/[^a-z]/g, "")}`,
          "data-testid": "turn-sentiment",
          title: `Sentiment score ${fmtNum(x.sentiment.score)}`,
        }, label));
      }
      if (x.frustration !== null && x.frustration !== undefined && Number(x.frustration) >= 0.5) {
        nlu.append(el("span", { class: "nlu-frustration", title: "Frustration (0 to 1)" }, `frustration ${fmtNum(x.frustration)}`));
      }
      if (nlu.childElementCount) children.push(nlu);
    }
    return el("li", { class: `turn turn-${speaker}`, "data-testid": "turn", "data-speaker": speaker }, ...children);
  }

  dom.newMessages.addEventListener("click", () => {
    pinTranscript();
    dom.newMessages.hidden = true;
    dom.transcript.focus();
  });
  function pinTranscript() {
    dom.transcript.scrollTop = dom.transcript.scrollHeight;
    state.stickToBottom = true;
  }
  // Remember whether the agent is reading the latest messages; if so, keep the
  // transcript pinned to the bottom when it grows or its box shrinks.
  dom.transcript.addEventListener("scroll", () => {
    const box = dom.transcript;
    state.stickToBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 48;
    if (state.stickToBottom) dom.newMessages.hidden = true;
  });
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(() => {
      if (state.stickToBottom && !dom.ticket.hidden) dom.transcript.scrollTop = dom.transcript.scrollHeight;
    }).observe(dom.transcript);
  }

  // ---------------------------------------------------- side panel lists --
  function renderCsat(t) {
    const c = t.csat;
    if (!c || c.score === null || c.score === undefined) {
      dom.csat.hidden = true;
      dom.csatBody.replaceChildren();
      return;
    }
    const score = Number(c.score);
    const good = score >= 4 ? "good" : score <= 2 ? "bad" : "ok";
    dom.csatBody.replaceChildren(
      el("p", { class: `csat-score csat-${good}` },
        el("span", { class: "csat-number" }, String(c.score)),
        el("span", { class: "csat-of" }, " / 5")),
      c.comment ? el("blockquote", { class: "csat-comment" }, str(c.comment)) : null);
    dom.csat.hidden = false;
  }

  function renderNotes(t) {
    const notes = Array.isArray(t.notes) ? t.notes : [];
    if (!notes.length) {
      dom.notes.replaceChildren(el("li", { class: "empty-item" }, "No internal notes yet."));
      return;
    }
    dom.notes.replaceChildren(...notes.map((n) => el("li", { class: "note", "data-testid": "note" },
      el("div", { class: "note-meta" },
        el("span", { class: "note-author" }, str(n.agent_name) || agentDisplay(n.agent)), timeEl(n.time)),
      el("p", { class: "note-text" }, str(n.text)))));
  }

  function renderHistory(t) {
    const items = Array.isArray(t.history) ? t.history : [];
    if (!items.length) {
      dom.history.replaceChildren(el("li", { class: "empty-item" }, "No events yet."));
      return;
    }
    dom.history.replaceChildren(...items.map((h) => el("li", { class: "history-item" },
      timeEl(h.time),
      el("span", { class: "history-event" }, sentenceCase(h.event)),
      h.agent ? el("span", { class: "history-agent" }, agentDisplay(h.agent)) : null,
      h.detail ? el("span", { class: "history-detail" }, str(h.detail)) : null)));
  }

  function renderEarlier(t) {
    const items = Array.isArray(t.earlier_tickets) ? t.earlier_tickets : [];
    if (!items.length) {
      dom.earlier.replaceChildren(el("li", { class: "empty-item" }, "No earlier tickets."));
      return;
    }
    dom.earlier.replaceChildren(...items.map((e) => {
      const button = el("button", { type: "button", class: "earlier-item", "data-ticket-id": String(e.id) },
        el("span", { class: "earlier-top" },
          el("span", { class: "earlier-id" }, `#${e.id}`),
          el("span", { class: "earlier-date" }, fmtDate(e.created_at)),
          el("span", { class: `status status-${str(e.status)}` }, humanize(e.status))),
        el("span", { class: "earlier-reason" }, str(e.reason) || humanize(e.reason_code)),
        e.summary ? el("span", { class: "earlier-summary" }, str(e.summary)) : null,
        e.csat_score !== null && e.csat_score !== undefined
          ? el("span", { class: "earlier-csat" }, `Rated ${e.csat_score}/5`) : null);
      button.addEventListener("click", () => openTicket(Number(e.id), { focus: true }));
      return el("li", null, button);
    }));
  }

  // --------------------------------------------------------------- actions --
  function updateActions() {
    const t = state.ticket;
    const status = t ? t.status : null;
    const mine = isMine(t);
    const assignedToOther = status === "assigned" && !mine;
    // An agent takes a colleague's ticket only by transfer; an admin may take it over.
    const isAdmin = !!(state.me && state.me.role === "admin");
    const canClaim = status === "waiting" || (assignedToOther && isAdmin);
    const canWork = status === "assigned" && mine;
    const busy = state.busy;

    dom.claim.disabled = busy || !canClaim;
    dom.claim.textContent = assignedToOther ? "Take over" : "Claim";
    for (const node of [dom.resolve, dom.returnBtn, dom.transfer, dom.transferTo, dom.replySend, dom.noteSend]) {
      node.disabled = busy || !canWork;
    }

    let placeholder;
    if (canWork) placeholder = `Write a reply to ${t ? customerName(t) : "the customer"}…`;
    else if (status === "waiting") placeholder = "Claim this ticket to reply.";
    else if (assignedToOther) placeholder = `${personName(t.assignee)} is handling this ticket. Take over to reply.`;
    else if (status === "resolved") placeholder = "This ticket is resolved.";
    else if (status === "returned_to_bot") placeholder = "This conversation was returned to the bot.";
    else placeholder = "";
    const hint = "Enter to send · Shift+Enter for a new line";
    dom.replyHint.textContent = hint;
    dom.replyText.placeholder = placeholder;
    dom.replyForm.classList.toggle("is-locked", !canWork);
  }

  function setBusy(busy) {
    state.busy = busy;
    dom.ticket.classList.toggle("is-busy", busy);
    updateActions();
  }

  /** POST an action on the open ticket; returns true on success. */
  async function act(kind, body) {
    const id = state.ticketId;
    if (id === null || state.busy) return false;
    setBusy(true);
    const seq = ++ticketSeq;
    try {
      const data = await api("POST", `tickets/${encodeURIComponent(id)}/${kind}`, body || {});
      clearError();
      if (data.ticket && state.ticketId === id) applyTicket(data.ticket, seq);
      loadQueue();
      return true;
    } catch (err) {
      if (err.status !== 401) showError(err.message);
      if (err.status === 409 || err.status === 403) {
        loadTicket(id);
        loadQueue();
      }
      return false;
    } finally {
      setBusy(false);
    }
  }

  dom.claim.addEventListener("click", async () => {
    if (await act("claim")) {
      announce("Ticket claimed. You can reply now.");
      dom.replyText.focus();
    }
  });
  dom.resolve.addEventListener("click", async () => {
    if (await act("resolve")) announce("Ticket resolved.");
  });
  dom.returnBtn.addEventListener("click", async () => {
    if (await act("return")) announce("Conversation returned to the bot.");
  });
  dom.transfer.addEventListener("click", async () => {
    const to = dom.transferTo.value;
    if (!to) {
      showError("Choose an agent to transfer the ticket to.");
      dom.transferTo.focus();
      return;
    }
    if (await act("transfer", { to })) {
      const agent = state.agents.find((a) => a.username === to);
      announce(`Ticket transferred to ${agent ? personName(agent) : to}.`);
      dom.transferTo.value = "";
    }
  });

  async function sendReply() {
    const id = state.ticketId;
    const text = dom.replyText.value.trim();
    if (id === null || state.busy) return;
    if (!text) {
      dom.replyText.focus();
      return;
    }
    if (!isMine(state.ticket) || state.ticket.status !== "assigned") {
      showError(state.ticket && state.ticket.status === "waiting"
        ? "Claim the ticket first." : "You can only reply to tickets assigned to you.");
      return;
    }
    if (await act("reply", { text })) {
      if (state.ticketId === id) {
        dom.replyText.value = "";
        state.replyDrafts.delete(id);
        pinTranscript();
        dom.newMessages.hidden = true;
      }
      dom.replyText.focus();
    }
  }

  async function sendNote() {
    const id = state.ticketId;
    const text = dom.noteText.value.trim();
    if (id === null || state.busy) return;
    if (!text) {
      dom.noteText.focus();
      return;
    }
    if (await act("note", { text })) {
      if (state.ticketId === id) {
        dom.noteText.value = "";
        state.noteDrafts.delete(id);
      }
      announce("Internal note added.");
      dom.noteText.focus();
    }
  }

  dom.replyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    sendReply();
  });
  dom.replyText.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.altKey) {
      event.preventDefault();
      sendReply();
    }
  });
  dom.replyText.addEventListener("input", () => {
    if (state.ticketId !== null) state.replyDrafts.set(state.ticketId, dom.replyText.value);
  });

  dom.noteForm.addEventListener("submit", (event) => {
    event.preventDefault();
    sendNote();
  });
  dom.noteText.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.isComposing) {
      event.preventDefault();
      sendNote();
    }
  });
  dom.noteText.addEventListener("input", () => {
    if (state.ticketId !== null) state.noteDrafts.set(state.ticketId, dom.noteText.value);
  });

  // Escape closes the error bar.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && dom.error.textContent) clearError();
  });

  // ----------------------------------------------------------------- start --
  async function start() {
    try {
      const data = await api("GET", "me");
      state.me = data.agent || null;
      if (state.me) showApp();
      else showLogin();
    } catch (err) {
      if (err.status === 401) return; // signedOut() already showed the form
      if (err.status === 0) {
        dom.boot.textContent = "Can't reach the server. Retrying…";
        window.setTimeout(start, 3000);
        return;
      }
      showLogin();
      showError(err.message);
    }
  }

  start();
})();
