/*
 * Relay chat widget: one script tag on any page (see the README, "Embedding the widget on your site"). No dependencies.
 *
 * Configuration, later sources overriding earlier ones:
 *   1. <script type="application/json" id="relay-widget-config">{"title": "..."}</script>
 *   2. data-* attributes on this script tag (data-title, data-colour, ...)
 *   3. window.RelayWidget = {title: "..."} set before this script runs (an inline script:
 *      pages with a strict Content-Security-Policy use 1 or 2 instead)
 * Keys: server (Relay's URL; default where this script came from), title, subtitle,
 * colour (#rgb or #rrggbb), greeting (shown first, never sent), and for a customer signed
 * in on the shop: customer (their website id), customerExpires (unix seconds) and
 * customerSignature (the shop's backend's HMAC of both; see the README).
 *
 * Everything customers, agents and the bot write is put on the page as text
 * (textContent), never as HTML; links and images are limited to http(s) (and data:
 * images). The widget lives in a shadow root, so the page's styles and its own don't mix.
 *
 * A customer's messages (typed, or a button's payload) go to Relay one at a time, each
 * once the one before was answered or failed, so Relay takes them in the order sent
 * even when several of its processes serve the conversation (see Widget.prototype.send).
 */
(function () {
  "use strict";
  if (window.__relayWidget) { return; }
  window.__relayWidget = true;

  var PREFIX = "/webhooks/widget";
  var POLL_FAST = 2500;
  var POLL_SLOW = 15000;
  var MAX_TEXT = 5000;
  var RETRIES = 3;  // of a message the server could not store (503), after 1, 3 and 9 s
  var RETRY_MS = 1000;
  var CSAT = /^\/inform\{"csat_score": ?"([1-5])"\}$/;
  var URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+/gi;
  var TRAILING = /[.,;:!?)\]}'"]+$/;
  var SVG = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: "M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6A.5.5 0 0 1 5 19.2V16h0a2.5 2.5 0 0 1-1-2v-8.5Z",
    close: "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4Z",
    send: "M3.4 20.4 21 12 3.4 3.6l-.01 6.53L15 12 3.39 13.87Z",
    person: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8Zm0 2c-3.3 0-8 1.7-8 5v1h16v-1c0-3.3-4.7-5-8-5Z",
    bot: "M11 2h2v2.1A7 7 0 0 1 19 11v6a3 3 0 0 1-3 3H8a3 3 0 0 1-3-3v-6a7 7 0 0 1 6-6.9Zm-2 9.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Zm6 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Z"
  };

  var script = document.currentScript;

  // --- Configuration ---------------------------------------------------------------

  function readConfig() {
    var config = {title: "Chat with us", subtitle: "", colour: "#1f6f5c", greeting: "", server: ""};
    var block = document.getElementById("relay-widget-config");
    if (block) {
      try { Object.assign(config, JSON.parse(block.textContent || "{}")); } catch (e) {
        console.warn("Relay widget: #relay-widget-config is not valid JSON", e);
      }
    }
    if (script && script.dataset) {
      ["server", "title", "subtitle", "colour", "color", "greeting", "customer", "customerExpires", "customerSignature"].forEach(function (key) {
        if (script.dataset[key] !== undefined) { config[key] = script.dataset[key]; }
      });
    }
    if (window.RelayWidget && typeof window.RelayWidget === "object") {
      Object.assign(config, window.RelayWidget);
    }
    if (config.color && !config.colour) { config.colour = config.color; }
    var origin = "";
    try { origin = script && script.src ? new URL(script.src, location.href).origin : ""; } catch (e) { origin = ""; }
    config.server = String(config.server || origin || "").replace(/\/+$/, "");
    return config;
  }

  function brandColours(colour) {
    var hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(colour || "") ? colour.slice(1) : "1f6f5c";
    if (hex.length === 3) { hex = hex.replace(/(.)/g, "$1$1"); }
    var rgb = [0, 2, 4].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); });
    var luminance = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255;
    var dark = rgb.map(function (c) { return Math.round(c * 0.8); });
    return {
      brand: "#" + hex,
      dark: "rgb(" + dark.join(",") + ")",
      on: luminance > 0.6 ? "#14201c" : "#ffffff"
    };
  }

  // --- Small DOM helpers (text only, never HTML) -------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function icon(name, size) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", String(size || 24));
    svg.setAttribute("height", String(size || 24));
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", ICONS[name]);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  function safeUrl(value, allowDataImage) {
    if (typeof value !== "string") { return null; }
    if (allowDataImage && /^data:image\/(png|gif|jpe?g|webp);/i.test(value)) { return value; }
    try {
      var url = new URL(value, location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) { return null; }
  }

  /** Text with its http(s) links made clickable: text nodes and <a> elements only. */
  function linkified(value) {
    var text = String(value);
    var fragment = document.createDocumentFragment();
    var last = 0;
    text.replace(URL_IN_TEXT, function (match, offset) {
      var trimmed = match.replace(TRAILING, "");
      var href = safeUrl(trimmed, false);
      if (!href) { return match; }
      fragment.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = el("a", "link", trimmed);
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      fragment.appendChild(link);
      last = offset + trimmed.length;
      return match;
    });
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  function isCsat(buttons) {
    return buttons.length === 5 && buttons.every(function (b, i) {
      var match = CSAT.exec(b.payload || "");
      return match && Number(match[1]) === i + 1;
    });
  }

  function stars(score) {
    return "\u2605\u2605\u2605\u2605\u2605".slice(0, score) + "\u2606\u2606\u2606\u2606\u2606".slice(score);
  }

  // --- Storage (a blocked localStorage just means no history after a reload) --------

  function Store(server) {
    this.key = "relay-widget:" + (server || location.origin);
  }
  Store.prototype.load = function () {
    try { return JSON.parse(localStorage.getItem(this.key) || "{}") || {}; } catch (e) { return {}; }
  };
  Store.prototype.save = function (value) {
    try { localStorage.setItem(this.key, JSON.stringify(value)); } catch (e) { /* private mode */ }
  };
  Store.prototype.clear = function () {
    try { localStorage.removeItem(this.key); } catch (e) { /* private mode */ }
  };

  // --- The widget --------------------------------------------------------------------

  function Widget(config) {
    this.config = config;
    this.store = new Store(config.server);
    var saved = this.store.load();
    // A session belongs to the customer the shop signed in (or to nobody): when the page's
    // customer changes (signed in, out, or someone else), the old session is not theirs.
    this.customer = typeof config.customer === "string" && config.customer ? config.customer : null;
    var same = (saved.customer || null) === this.customer;
    this.token = same && typeof saved.token === "string" ? saved.token : null;
    this.after = same ? Number(saved.after) || 0 : 0;
    this.isOpen = false;
    this.state = null;
    this.agent = null;
    this.unread = 0;
    this.timer = null;
    this.connecting = null;
    this.busy = 0;
    this.queue = Promise.resolve();  // the customer's messages, sent one after another
    this.build();
    if (this.token) { this.connect().catch(function () { /* retried on open or send */ }); }
  }

  Widget.prototype.build = function () {
    var config = this.config;
    var host = el("div");
    host.id = "relay-widget";
    host.style.display = "none";  // until the style sheet has loaded
    var root = host.attachShadow({mode: "open"});
    var sheet = document.createElement("link");
    sheet.rel = "stylesheet";
    sheet.href = config.server + PREFIX + "/widget.css";
    sheet.addEventListener("load", function () { host.style.display = ""; });
    sheet.addEventListener("error", function () { console.warn("Relay widget: widget.css did not load"); });
    root.appendChild(sheet);

    var colours = brandColours(config.colour);
    host.style.setProperty("--relay-brand", colours.brand);
    host.style.setProperty("--relay-brand-dark", colours.dark);
    host.style.setProperty("--relay-on-brand", colours.on);

    var frame = el("div", "relay");
    this.launcher = el("button", "launcher");
    this.launcher.type = "button";
    this.launcher.setAttribute("aria-controls", "relay-panel");
    this.launcher.setAttribute("aria-expanded", "false");
    var chatIcon = icon("chat", 28);
    chatIcon.classList.add("icon-open");
    var closeIcon = icon("close", 26);
    closeIcon.classList.add("icon-close");
    this.launcher.appendChild(chatIcon);
    this.launcher.appendChild(closeIcon);
    this.badge = el("span", "badge");
    this.badge.hidden = true;
    this.badge.setAttribute("aria-hidden", "true");
    this.launcher.appendChild(this.badge);

    var panel = el("section", "panel");
    panel.id = "relay-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-labelledby", "relay-title");
    this.panel = panel;

    var head = el("header", "head");
    this.avatar = el("div", "avatar");
    this.avatar.appendChild(icon("bot", 22));
    var titles = el("div", "titles");
    var title = el("h2", "title", config.title);
    title.id = "relay-title";
    this.status = el("p", "status");
    titles.appendChild(title);
    titles.appendChild(this.status);
    var close = el("button", "close");
    close.type = "button";
    close.setAttribute("aria-label", "Close chat");
    close.appendChild(icon("close", 20));
    head.appendChild(this.avatar);
    head.appendChild(titles);
    head.appendChild(close);

    this.log = el("div", "log");
    this.log.setAttribute("role", "log");
    this.log.setAttribute("aria-live", "polite");
    this.log.setAttribute("aria-label", "Conversation");
    this.log.tabIndex = 0;
    this.typing = el("div", "typing");
    this.typing.setAttribute("role", "status");
    this.typing.appendChild(el("span", "sr-only", "The assistant is typing"));
    [0, 1, 2].forEach(function () { this.typing.appendChild(el("span", "dot")); }, this);

    var form = el("form", "composer");
    var label = el("label", "sr-only", "Your message");
    label.htmlFor = "relay-input";
    this.input = el("textarea", "input");
    this.input.id = "relay-input";
    this.input.rows = 1;
    this.input.maxLength = MAX_TEXT;
    this.input.placeholder = "Type your message\u2026";
    this.input.autocomplete = "off";
    this.sendButton = el("button", "send");
    this.sendButton.type = "submit";
    this.sendButton.setAttribute("aria-label", "Send message");
    this.sendButton.appendChild(icon("send", 20));
    form.appendChild(label);
    form.appendChild(this.input);
    form.appendChild(this.sendButton);
    var foot = el("p", "foot", "Powered by Relay");

    panel.appendChild(head);
    panel.appendChild(this.log);
    panel.appendChild(form);
    panel.appendChild(foot);
    frame.appendChild(panel);
    frame.appendChild(this.launcher);
    root.appendChild(frame);
    this.frame = frame;
    document.body.appendChild(host);

    var self = this;
    this.launcher.addEventListener("click", function () { self.toggle(); });
    close.addEventListener("click", function () { self.close(); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); self.close(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submit();
    });
    this.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        self.submit();
      }
    });
    this.input.addEventListener("input", function () { self.fitInput(); });
    document.addEventListener("visibilitychange", function () { self.schedule(); });

    this.setState("bot", null, true);
    this.updateLauncher();
    if (config.greeting) { this.renderBot({text: config.greeting}, false); }
  };

  Widget.prototype.fitInput = function () {
    this.input.style.height = "auto";
    this.input.style.height = Math.min(this.input.scrollHeight, 120) + "px";
  };

  Widget.prototype.toggle = function () {
    if (this.isOpen) { this.close(); } else { this.open(); }
  };

  Widget.prototype.open = function () {
    this.isOpen = true;
    this.frame.classList.add("open");
    this.panel.hidden = false;
    this.unread = 0;
    this.updateLauncher();
    this.scrollDown(true);
    this.input.focus();
    this.connect().catch(function () { /* a message sent now reports the problem */ });
    this.schedule();
  };

  Widget.prototype.close = function () {
    this.isOpen = false;
    this.frame.classList.remove("open");
    this.panel.hidden = true;
    this.updateLauncher();
    this.launcher.focus();
    this.schedule();
  };

  Widget.prototype.updateLauncher = function () {
    var label = this.isOpen ? "Close chat" : "Open chat";
    if (!this.isOpen && this.unread) {
      label += ", " + this.unread + " unread message" + (this.unread === 1 ? "" : "s");
    }
    this.launcher.setAttribute("aria-label", label);
    this.launcher.setAttribute("aria-expanded", String(this.isOpen));
    this.badge.textContent = this.unread > 9 ? "9+" : String(this.unread);
    this.badge.hidden = this.isOpen || !this.unread;
  };

  // --- Talking to Relay ---------------------------------------------------------------

  Widget.prototype.api = function (method, path, body, timeout) {
    var url = this.config.server + PREFIX + path;
    var options = {method: method, credentials: "omit", cache: "no-store"};
    if (method === "GET") {
      url += "?" + new URLSearchParams(body || {}).toString();
    } else {
      // A text/plain body keeps the request "simple": no CORS preflight round trip.
      options.body = JSON.stringify(body || {});
    }
    var controller = window.AbortController ? new AbortController() : null;
    if (controller) {
      options.signal = controller.signal;
      setTimeout(function () { controller.abort(); }, timeout || 20000);
    }
    return fetch(url, options).then(function (reply) {
      return reply.json().catch(function () { return {}; }).then(function (data) {
        if (!reply.ok) {
          var error = new Error(data.error || "HTTP " + reply.status);
          error.status = reply.status;
          // What the server says to the customer about it (from Relay's domain.yml).
          error.said = (data.messages || []).map(function (m) { return m.text; }).filter(Boolean)[0];
          throw error;
        }
        return data;
      });
    });
  };

  Widget.prototype.remember = function () {
    this.store.save({token: this.token, after: this.after, customer: this.customer});
  };

  Widget.prototype.forget = function () {
    this.token = null;
    this.after = 0;
    this.connecting = null;
    this.store.clear();
  };

  /** Resumes the saved session (with its history) or starts a new one. */
  Widget.prototype.connect = function () {
    var self = this;
    if (this.connecting) { return this.connecting; }
    var resume = this.token
      ? this.api("GET", "/history", {token: this.token}).then(function (history) {
          self.after = Number(history.after) || 0;
          self.remember();
          (history.messages || []).forEach(function (message) {
            if (message.from === "customer") {
              self.renderCustomer(message.text, message.payload);
            } else {
              self.renderBot(message, false);
            }
          });
          self.setState(history.state, history.agent, true);
        }).catch(function (error) {
          if (error.status === 401 || error.status === 403) { self.forget(); return; }
          throw error;
        })
      : Promise.resolve();
    this.connecting = resume.then(function () {
      if (self.token) { return; }
      var signedIn = self.customer
        ? {
            customer: self.customer,
            customerExpires: String(self.config.customerExpires || ""),
            customerSignature: String(self.config.customerSignature || "")
          }
        : {};
      return self.api("POST", "/session", signedIn).catch(function (error) {
        if (error.status !== 403 || !self.customer) { throw error; }
        // The shop's signature of its customer did not check out (wrong, or expired): chat anonymously.
        console.warn("Relay widget: " + error.message + "; chatting anonymously");
        self.customer = null;
        return self.api("POST", "/session", {});
      }).then(function (session) {
        self.token = session.token;
        self.after = 0;
        self.remember();
        self.setState(session.state, session.agent, true);
      });
    }).then(function () {
      self.schedule();
    }, function (error) {
      self.connecting = null;
      throw error;
    });
    return this.connecting;
  };

  Widget.prototype.schedule = function () {
    clearTimeout(this.timer);
    if (!this.token) { return; }
    var fast = this.isOpen || this.state !== "bot";
    var delay = document.hidden || !fast ? POLL_SLOW : POLL_FAST;
    var self = this;
    this.timer = setTimeout(function () { self.poll(); }, delay);
  };

  Widget.prototype.poll = function () {
    var self = this;
    if (!this.token) { return; }
    this.api("GET", "/updates", {token: this.token, after: String(this.after)}, 15000)
      .then(function (updates) {
        self.setState(updates.state, updates.agent, false);
        (updates.messages || []).forEach(function (message) {
          if (message.id > self.after) { self.renderBot(message, true); }
        });
        self.after = Math.max(self.after, Number(updates.after) || 0);
        self.remember();
      })
      .catch(function (error) {
        if (error.status === 401 || error.status === 403) { self.forget(); }
      })
      .then(function () { self.schedule(); });
  };

  Widget.prototype.submit = function () {
    var text = this.input.value.trim();
    if (!text) { this.input.focus(); return; }
    if (text.length > MAX_TEXT) {
      this.notice("That message is too long; please keep it under " + MAX_TEXT + " characters.");
      return;
    }
    this.input.value = "";
    this.fitInput();
    this.send({text: text}, text);
  };

  /**
   * Shows the customer's message at once, and sends it once their earlier ones have been
   * answered (or have failed): one POST /message at a time, so that Relay gets a customer's
   * messages in the order they were sent, whichever of its processes takes each. The answer
   * (or an apology) goes under its own message; the typing dots show while any is on its way.
   */
  Widget.prototype.send = function (message, shown, payload) {
    var self = this;
    var place = {after: this.renderCustomer(shown, payload)};  // and retires the buttons shown so far
    this.scrollDown(true);
    this.showTyping(true);
    this.queue = this.queue.then(function () {
      return self.deliver(message).then(function (reply) {
        self.showTyping(false);
        (reply.messages || []).forEach(function (m) {
          place.after = self.renderBot(m, true, place.after);
          // Buttons answering a message the customer has written past are retired at once.
          if (self.writtenPast(place.after)) { self.disableChoices(place.after); }
        });
        self.setState(reply.state, reply.agent, false, place);
      }, function (error) {
        self.showTyping(false);
        self.renderBot({
          text: error.said || (error.status === 413
            ? "Sorry, that message is too long. Please send a shorter one."
            : "Sorry, I can't reach the assistant right now. Please try again in a moment.")
        }, false, place.after).classList.add("msg-error");
      }).catch(function (error) {
        console.error("Relay widget: an answer could not be shown", error);  // the next message still goes
      });
    });
  };

  /** POSTs one message; a 503 is tried again, an expired session is replaced once. */
  Widget.prototype.deliver = function (message) {
    var self = this;
    var attempt = function () {
      return self.connect().then(function () {
        return self.api("POST", "/message", Object.assign({token: self.token}, message), 60000);
      });
    };
    // A store that is down for a moment (503) is retried, so the message is not lost.
    var retried = function (left, wait) {
      return attempt().catch(function (error) {
        if (error.status !== 503 || !left) { throw error; }
        return new Promise(function (done) { setTimeout(done, wait); }).then(function () {
          return retried(left - 1, wait * 3);
        });
      });
    };
    return retried(RETRIES, RETRY_MS).catch(function (error) {
      if (error.status === 401 || error.status === 403) {
        self.forget();
        return attempt();  // the session was no longer valid: start a new one, once
      }
      throw error;
    });
  };

  /** Whether the customer has written something after `node` (a later message of theirs). */
  Widget.prototype.writtenPast = function (node) {
    for (var next = node.nextElementSibling; next; next = next.nextElementSibling) {
      if (next.classList.contains("msg-customer")) { return true; }
    }
    return false;
  };

  // --- Rendering ----------------------------------------------------------------------

  Widget.prototype.nearBottom = function () {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
  };

  Widget.prototype.scrollDown = function (force) {
    if (force || this.nearBottom()) { this.log.scrollTop = this.log.scrollHeight; }
  };

  /** Puts `node` in the log: right after `after` (an earlier turn) if given, else last. */
  Widget.prototype.append = function (node, after) {
    var stick = this.nearBottom();
    if (after && after.parentNode === this.log) {
      this.log.insertBefore(node, after.nextSibling);
    } else if (this.typing.parentNode) {
      this.log.insertBefore(node, this.typing);
    } else {
      this.log.appendChild(node);
    }
    this.scrollDown(stick);
    return node;
  };

  Widget.prototype.showTyping = function (on) {
    this.busy = Math.max(0, this.busy + (on ? 1 : -1));
    if (this.busy && !this.typing.parentNode) {
      this.log.appendChild(this.typing);
      this.scrollDown(true);
    } else if (!this.busy && this.typing.parentNode) {
      this.typing.remove();
    }
  };

  Widget.prototype.renderCustomer = function (text, payload) {
    var match = CSAT.exec(payload || "");
    var shown = match ? stars(Number(match[1])) + "  " + match[1] + " of 5" : text;
    var bubble = el("div", "msg msg-customer");
    bubble.appendChild(linkified(shown || ""));
    this.markChosen(payload);
    this.disableChoices();
    return this.append(bubble);
  };

  /**
   * A message of the bot or an agent; `live` ones count as unread while closed. It goes
   * right after `after` if given (under the message it answers), else last.
   */
  Widget.prototype.renderBot = function (message, live, after) {
    var agent = message.from === "agent";
    var group = el("div", "turn " + (agent ? "turn-agent" : "turn-bot"));
    if (agent) {
      var who = el("div", "who");
      who.appendChild(icon("person", 14));
      who.appendChild(document.createTextNode(message.agent || "Our team"));
      group.appendChild(who);
    }
    if (message.text) {
      var bubble = el("div", "msg " + (agent ? "msg-agent" : "msg-bot"));
      bubble.appendChild(linkified(message.text));
      group.appendChild(bubble);
    }
    var image = safeUrl(message.image, true);
    if (image) {
      var img = el("img", "msg-image");
      img.alt = typeof message.alt === "string" ? message.alt : "Image sent by " + (agent ? "our team" : "the assistant");
      img.loading = "lazy";
      img.referrerPolicy = "no-referrer";
      img.src = image;
      group.appendChild(img);
    }
    var buttons = (message.buttons || []).filter(function (b) {
      return b && typeof b.payload === "string" && b.payload;
    });
    if (buttons.length) {
      group.appendChild(isCsat(buttons) ? this.rating(buttons) : this.choices(buttons));
    }
    if (live && !this.isOpen) {
      this.unread += 1;
      this.updateLauncher();
    }
    return this.append(group, after);
  };

  Widget.prototype.choices = function (buttons) {
    var self = this;
    var row = el("div", "choices");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", "Suggested replies");
    buttons.forEach(function (b) {
      var button = el("button", "choice", b.title || b.payload);
      button.type = "button";
      button.dataset.payload = b.payload;
      button.addEventListener("click", function () {
        if (button.disabled) { return; }
        self.send({payload: b.payload}, b.title || b.payload, b.payload);
        self.input.focus();
      });
      row.appendChild(button);
    });
    return row;
  };

  /** The satisfaction question's five buttons, as stars. */
  Widget.prototype.rating = function (buttons) {
    var self = this;
    var row = el("div", "choices rating");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", "Rate the help you got, from 1 to 5 stars");
    var lights = buttons.map(function (b, i) {
      var score = i + 1;
      var star = el("button", "star", "\u2605");
      star.type = "button";
      star.setAttribute("aria-label", score + (score === 1 ? " star" : " stars") +
        (score === 1 ? " (poor)" : score === 5 ? " (excellent)" : ""));
      star.title = star.getAttribute("aria-label");
      var light = function (upTo) {
        lights.forEach(function (other, j) { other.classList.toggle("lit", j < upTo); });
      };
      star.addEventListener("mouseenter", function () { if (!star.disabled) { light(score); } });
      star.addEventListener("focus", function () { if (!star.disabled) { light(score); } });
      star.addEventListener("click", function () {
        if (star.disabled) { return; }
        self.send({payload: b.payload}, b.title, b.payload);
        self.input.focus();
      });
      row.appendChild(star);
      return star;
    });
    var unlight = function (event) {
      if (row.classList.contains("done") || (event.relatedTarget && row.contains(event.relatedTarget))) {
        return;
      }
      lights.forEach(function (s) { s.classList.remove("lit"); });
    };
    row.addEventListener("mouseleave", unlight);
    row.addEventListener("focusout", unlight);
    return row;
  };

  /** Shows which button (or how many stars) the customer chose, also after a reload. */
  Widget.prototype.markChosen = function (payload) {
    if (!payload) { return; }
    var score = CSAT.exec(payload);
    var rows = this.log.querySelectorAll(".choices:not(.done)");
    Array.prototype.forEach.call(rows, function (row) {
      Array.prototype.forEach.call(row.querySelectorAll("button"), function (button, i) {
        if (row.classList.contains("rating")) {
          button.classList.toggle("lit", Boolean(score) && i < Number(score[1]));
        } else if (button.dataset.payload === payload) {
          button.classList.add("chosen");
        }
      });
    });
  };

  /** Retires the buttons in the log (or only those in `within`). */
  Widget.prototype.disableChoices = function (within) {
    var rows = (within || this.log).querySelectorAll(".choices:not(.done)");
    Array.prototype.forEach.call(rows, function (row) {
      row.classList.add("done");
      Array.prototype.forEach.call(row.querySelectorAll("button"), function (b) { b.disabled = true; });
    });
  };

  Widget.prototype.notice = function (text, after) {
    return this.append(el("div", "notice", text), after);
  };

  /**
   * Who handles the conversation: header line, and a banner when it changes (after
   * `place.after`, moved on past it, when the change came with the answer to a message).
   */
  Widget.prototype.setState = function (state, agent, quiet, place) {
    state = state === "agent" || state === "waiting" ? state : "bot";
    var before = this.state;
    this.state = state;
    this.agent = agent || null;
    var subtitle = this.config.subtitle || "Our assistant replies instantly";
    this.avatar.replaceChildren(icon(state === "agent" ? "person" : "bot", 22));
    if (state === "agent") {
      this.status.textContent = "You're chatting with " + (this.agent || "our team");
    } else if (state === "waiting") {
      this.status.textContent = "Waiting for a person from our team\u2026";
    } else {
      this.status.textContent = subtitle;
    }
    this.frame.classList.toggle("with-agent", state === "agent");
    if (quiet || before === null || before === state) { return; }
    var text = state === "agent" ? "An agent has joined the chat"
      : state === "waiting" ? "Waiting for a person from our team"
      : "You're talking to the bot again";
    var banner = this.notice(text, place && place.after);
    if (place) { place.after = banner; }
    this.schedule();
  };

  function start() {
    if (!document.body) { return; }
    var widget = new Widget(readConfig());
    window.RelayWidgetControl = {
      open: function () { widget.open(); },
      close: function () { widget.close(); }
    };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
