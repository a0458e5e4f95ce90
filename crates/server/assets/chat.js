// troubletree chat: the custom element <troubletree-chat tree="recharge_failure" lang="zh">.
//
// Served as /assets/chat.js (the user's page) and /widget.js (to embed in a wallet's
// help centre: <script src="https://SERVICE/widget.js"></script>, then the element;
// the service must list the help centre's origin in --cors-origin). It walks one tree
// through the /v1 session API, one step per request, and sends the step's `seq` with
// every action so that a retried request is applied once.
//
// Tree text is untrusted: every text goes into the DOM through textContent; nothing
// here parses text as markup. The session id is kept in sessionStorage (this tab
// only), never in a URL.
(function () {
  'use strict';

  if (window.customElements.get('troubletree-chat')) {
    return;
  }

  // Where the API is: the origin this script came from (the widget may be embedded
  // elsewhere), unless the element names one with api="https://...".
  var scriptOrigin = (function () {
    try {
      var src = document.currentScript && document.currentScript.src;
      return src ? new URL(src, location.href).origin : location.origin;
    } catch (e) {
      return location.origin;
    }
  })();

  var STRINGS = {
    zh: {
      chat: '自助排查',
      loading: '正在加载…',
      back: '上一步',
      human: '转人工',
      restart: '重新开始',
      send: '确定',
      you: '您',
      bot: '助手',
      numberHint: '请输入数字，例如 100 或 12.5',
      numberBad: '请输入一个数字，例如 100 或 12.5。',
      textBad: '请先输入内容。',
      textLong: '内容太长了，请精简到 500 字以内。',
      unreachable: '暂时连不上服务器，请检查网络。您的进度不会丢失，我们会自动重试',
      retryNow: '立即重试',
      retrying: '正在重试…',
      stale: '这一步已经在别的窗口里回答过了，下面是现在的进度。',
      expired: '这次对话已经失效，请重新开始。',
      changed: '排查流程刚刚更新过，请重新开始。',
      notOffered: '这个回答不在选项里，请重新选择。',
      wrongType: '这个回答的格式不对，请重新输入。',
      outOfRange: '这个数字不在允许的范围内，请重新输入。',
      failed: '出错了：',
      resolvedTitle: '问题已解决',
      escalatedTitle: '需要人工客服帮您处理',
      handedOffTitle: '已为您转人工',
      caseId: '工单号',
      caseNote: '联系客服时请提供这个工单号，客服能看到您刚才的排查记录。',
      channel: '联系方式',
      hours: '服务时间',
      always: '全天 24 小时',
      openNow: '现在可以联系',
      closedNow: '现在不在服务时间内',
      reply: '回复时间',
      replyNow: '接通后即时处理',
      replyHours: function (h) { return '承诺 ' + h + ' 小时内回复'; },
      busy: '繁忙时段：',
      prepare: '请提前准备好',
      example: '（以上为示例联系方式）',
      urgent: '紧急',
      kinds: { hotline: '电话客服', chat: '在线客服', in_app: 'APP 内反馈', email: '邮件' },
      noTree: '找不到这个排查流程。'
    },
    en: {
      chat: 'Self-help',
      loading: 'Loading…',
      back: 'Back',
      human: 'Talk to a person',
      restart: 'Start again',
      send: 'OK',
      you: 'You',
      bot: 'Assistant',
      numberHint: 'Enter a number, e.g. 100 or 12.5',
      numberBad: 'Please enter a number, e.g. 100 or 12.5.',
      textBad: 'Please type something first.',
      textLong: 'That is too long: please keep it under 500 characters.',
      unreachable: 'We cannot reach the server right now: check your connection. Your progress is kept and we will try again',
      retryNow: 'Retry now',
      retrying: 'Retrying…',
      stale: 'This step was already answered in another window; here is where you are now.',
      expired: 'This conversation has expired; please start again.',
      changed: 'This help flow has just been updated; please start again.',
      notOffered: 'That answer is not one of the choices; please choose again.',
      wrongType: 'That answer is not in the right form; please try again.',
      outOfRange: 'That number is outside the range this question takes; please try again.',
      failed: 'Something went wrong: ',
      resolvedTitle: 'Solved',
      escalatedTitle: 'Customer service will take it from here',
      handedOffTitle: 'We are handing you to a person',
      caseId: 'Case number',
      caseNote: 'Quote this number to customer service: they will see the steps you took.',
      channel: 'Contact',
      hours: 'Hours',
      always: 'Open 24 hours',
      openNow: 'Open now',
      closedNow: 'Closed right now',
      reply: 'Reply time',
      replyNow: 'Answered straight away',
      replyHours: function (h) { return 'A reply within ' + h + ' hours'; },
      busy: 'Busy period: ',
      prepare: 'Have these ready',
      example: '(These are example contacts.)',
      urgent: 'Urgent',
      kinds: { hotline: 'Hotline', chat: 'Online chat', in_app: 'In-app feedback', email: 'Email' },
      noTree: 'This help flow does not exist.'
    }
  };

  function pickLang(wanted) {
    var l = (wanted || navigator.language || 'zh').toLowerCase();
    return l.indexOf('en') === 0 ? 'en' : 'zh';
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'class') {
          node.className = attrs[k];
        } else {
          node.setAttribute(k, attrs[k]);
        }
      });
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  // Full-width digits and punctuation (from a Chinese keyboard) as ASCII.
  function asciiNumber(text) {
    return text
      .replace(/[\uff10-\uff19]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xfee0); })
      .replace(/[\uff0e\u3002]/g, '.')
      .replace(/[\uff0c,]/g, '')
      .replace(/[\uff0b]/g, '+')
      .replace(/[\uff0d\u2212]/g, '-')
      .trim();
  }

  function parseNumber(text) {
    var t = asciiNumber(text);
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
      return null;
    }
    var n = Number(t);
    return isFinite(n) ? n : null;
  }

  function ApiError(status, problem) {
    this.status = status;
    this.problem = problem || {};
    this.code = this.problem.code || '';
  }

  // A failure worth retrying: no answer at all, or the server says "later".
  function retryable(err) {
    return !(err instanceof ApiError) || err.status >= 500 || err.status === 408 || err.status === 429;
  }

  class TroubletreeChat extends HTMLElement {
    static get observedAttributes() {
      return ['tree', 'lang'];
    }

    constructor() {
      super();
      this.root = this.attachShadow({ mode: 'open' });
      this.view = null;
      this.log = [];
      this.pending = null;
      this.retryTimer = null;
      this.retries = 0;
      this.generation = 0;
    }

    get api() {
      return (this.getAttribute('api') || scriptOrigin).replace(/\/+$/, '');
    }

    get tree() {
      return this.getAttribute('tree') || '';
    }

    get storageKey() {
      return 'troubletree:chat:' + this.api + ':' + this.tree;
    }

    get t() {
      var locale = this.view ? this.view.locale : this.wanted;
      return STRINGS[pickLang(locale)];
    }

    connectedCallback() {
      this.wanted = pickLang(this.getAttribute('lang'));
      this.build();
      this.init();
    }

    disconnectedCallback() {
      this.generation += 1;
      clearTimeout(this.retryTimer);
    }

    attributeChangedCallback(name, before, after) {
      if (before !== null && before !== after && this.isConnected) {
        this.wanted = pickLang(this.getAttribute('lang'));
        this.view = null;
        this.build();
        this.init();
      }
    }

    // ------------------------------------------------------------------ layout

    build() {
      var t = STRINGS[this.wanted];
      var root = this.root;
      while (root.firstChild) {
        root.removeChild(root.firstChild);
      }
      root.appendChild(el('link', { rel: 'stylesheet', href: this.api + '/assets/chat.css' }));
      var box = el('section', { class: 'chat', lang: this.wanted === 'zh' ? 'zh-CN' : 'en' });
      this.box = box;
      this.heading = el('h2', { class: 'title', id: 'tt-title' }, t.chat);
      box.setAttribute('aria-labelledby', 'tt-title');
      this.logBox = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions' });
      this.status = el('div', { class: 'status', role: 'status', 'aria-live': 'assertive' });
      this.controls = el('div', { class: 'controls' });
      this.actions = el('div', { class: 'actions' });
      box.appendChild(this.heading);
      box.appendChild(this.logBox);
      box.appendChild(this.status);
      box.appendChild(this.controls);
      box.appendChild(this.actions);
      root.appendChild(box);
      this.say(t.loading, 'info');
      this.loadingShown = true;
    }

    say(text, kind, retry) {
      var s = this.status;
      this.loadingShown = false;
      while (s.firstChild) {
        s.removeChild(s.firstChild);
      }
      s.className = 'status' + (kind ? ' ' + kind : '');
      if (!text) {
        return;
      }
      s.appendChild(el('span', { class: 'status-text' }, text));
      if (retry) {
        var b = el('button', { type: 'button', class: 'retry' }, this.t.retryNow);
        b.addEventListener('click', retry);
        s.appendChild(b);
      }
    }

    // ------------------------------------------------------------------ storage

    load() {
      try {
        var raw = window.sessionStorage.getItem(this.storageKey);
        var saved = raw ? JSON.parse(raw) : null;
        if (saved && typeof saved.id === 'string' && /^[0-9a-f]{32}$/.test(saved.id)) {
          return saved;
        }
      } catch (e) {
        /* storage refused or damaged: start afresh */
      }
      return null;
    }

    save() {
      try {
        if (this.view) {
          window.sessionStorage.setItem(this.storageKey, JSON.stringify({
            id: this.view.id,
            seq: this.view.seq,
            locale: this.view.locale,
            log: this.log.slice(-200)
          }));
        }
      } catch (e) {
        /* private mode: the walk still works, it just will not survive a reload */
      }
    }

    forget() {
      try {
        window.sessionStorage.removeItem(this.storageKey);
      } catch (e) {
        /* nothing kept */
      }
    }

    // ------------------------------------------------------------------ network

    request(method, path, body) {
      var init = { method: method, headers: { Accept: 'application/json' }, credentials: 'omit' };
      if (body !== undefined) {
        init.headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
      return fetch(this.api + path, init).then(function (r) {
        return r.text().then(function (text) {
          var data = null;
          try {
            data = text ? JSON.parse(text) : null;
          } catch (e) {
            data = null;
          }
          if (!r.ok) {
            throw new ApiError(r.status, data);
          }
          return data;
        });
      });
    }

    // Runs a request until it gets an answer from the server: on a network failure
    // or a 5xx it says so, offers "retry now", and retries by itself with back-off.
    // The request is sent again unchanged (same seq), so it is applied once.
    send(method, path, body) {
      var self = this;
      var generation = this.generation;
      return new Promise(function (resolve, reject) {
        function attempt() {
          if (generation !== self.generation) {
            return;
          }
          clearTimeout(self.retryTimer);
          self.request(method, path, body).then(function (data) {
            if (generation !== self.generation) {
              return;
            }
            if (self.retries > 0) {
              self.say('');
            }
            self.retries = 0;
            resolve(data);
          }, function (err) {
            if (generation !== self.generation) {
              return;
            }
            if (!retryable(err)) {
              reject(err);
              return;
            }
            self.retries += 1;
            var wait = Math.min(15, Math.pow(2, self.retries)) * 1000;
            self.say(self.t.unreachable + ' (' + Math.round(wait / 1000) + 's).', 'error', function () {
              self.say(self.t.retrying, 'info');
              attempt();
            });
            self.retryTimer = setTimeout(attempt, wait);
          });
        }
        attempt();
      });
    }

    // ------------------------------------------------------------------ walking

    init() {
      var self = this;
      this.generation += 1;
      this.log = [];
      this.view = null;
      this.loadTitle();
      var saved = this.load();
      if (saved && saved.locale && pickLang(saved.locale) !== this.wanted) {
        // Another language was chosen: a new conversation in that language.
        saved = null;
      }
      if (saved) {
        this.log = Array.isArray(saved.log) ? saved.log.filter(function (e) {
          return e && (e.who === 'bot' || e.who === 'user') && typeof e.text === 'string';
        }) : [];
        this.setBusy(true);
        this.send('GET', '/v1/sessions/' + saved.id).then(function (view) {
          self.show(view);
        }, function (err) {
          self.forget();
          self.log = [];
          if (err.status === 404 || err.code === 'flow-changed') {
            self.start();
          } else {
            self.fail(err);
          }
        });
      } else {
        this.start();
      }
    }

    loadTitle() {
      var self = this;
      var tree = this.tree;
      this.request('GET', '/v1/trees').then(function (list) {
        var found = (list && list.trees || []).filter(function (x) { return x.id === tree; })[0];
        if (found) {
          var titles = found.titles || {};
          var locale = self.view ? self.view.locale : self.wanted;
          self.heading.textContent = titles[locale] || titles[found.locales[0]] || tree;
        }
      }, function () { /* the title is a nicety */ });
    }

    start() {
      var self = this;
      this.forget();
      this.log = [];
      this.view = null;
      this.renderLog();
      this.setBusy(true);
      this.send('POST', '/v1/sessions', { tree: this.tree, locale: this.wanted }).then(function (view) {
        self.show(view);
      }, function (err) {
        if (err.code === 'tree-not-found') {
          self.say(self.t.noTree, 'error');
        } else {
          self.fail(err);
        }
      });
    }

    act(action, body, userText) {
      var self = this;
      if (!this.view || this.busy) {
        return;
      }
      body.seq = this.view.seq;
      this.setBusy(true);
      this.say('');
      this.send('POST', '/v1/sessions/' + this.view.id + '/' + action, body).then(function (view) {
        if (action === 'back') {
          self.unwind();
        } else if (userText !== undefined) {
          self.log.push({ who: 'user', text: userText });
        }
        self.show(view, true);
      }, function (err) {
        self.setBusy(false);
        self.recover(err);
      });
    }

    // After "back": drop the last answer, and the question it answered (shown again).
    unwind() {
      var last = -1;
      for (var i = this.log.length - 1; i >= 0; i -= 1) {
        if (this.log[i].who === 'user') {
          last = i;
          break;
        }
      }
      if (last < 0) {
        return;
      }
      var from = last > 0 && this.log[last - 1].who === 'bot' ? last - 1 : last;
      this.log.splice(from);
    }

    recover(err) {
      var self = this;
      var t = this.t;
      if (err.code === 'stale-step' && err.problem.current) {
        this.show(err.problem.current, true);
        this.say(t.stale, 'info');
      } else if (err.code === 'session-ended' || err.code === 'nothing-to-undo' || err.code === 'busy') {
        this.send('GET', '/v1/sessions/' + this.view.id).then(function (view) { self.show(view, true); }, function (e) { self.fail(e); });
      } else if (err.code === 'session-not-found') {
        this.forget();
        this.say(t.expired, 'error');
        this.renderRestart();
      } else if (err.code === 'flow-changed') {
        this.forget();
        this.say(t.changed, 'error');
        this.renderRestart();
      } else if (err.code === 'not-offered') {
        this.say(t.notOffered, 'error');
      } else if (err.code === 'wrong-type') {
        this.say(t.wrongType, 'error');
      } else if (err.code === 'out-of-range') {
        this.say(t.outOfRange, 'error');
      } else {
        this.fail(err);
      }
    }

    fail(err) {
      this.setBusy(false);
      var detail = err && err.problem && err.problem.detail ? err.problem.detail : String(err && err.message || err);
      this.say(this.t.failed + detail, 'error');
      this.renderRestart();
    }

    setBusy(busy) {
      this.busy = busy;
      this.box.setAttribute('aria-busy', busy ? 'true' : 'false');
      // A control that is off for its own reason (no answer to take back) stays off.
      var controls = this.root.querySelectorAll('.controls button, .controls input, .actions button');
      for (var i = 0; i < controls.length; i += 1) {
        controls[i].disabled = busy || controls[i].getAttribute('data-off') === 'true';
      }
    }

    show(view, moveFocus) {
      this.view = view;
      this.box.setAttribute('lang', pickLang(view.locale) === 'zh' ? 'zh-CN' : 'en');
      var step = view.step;
      var last = this.log[this.log.length - 1];
      var isEnd = view.status !== 'open' && view.status !== 'abandoned';
      if (!last || last.who !== 'bot' || last.seq !== view.seq) {
        // The same question again (after a reload) is not repeated.
        if (!(last && last.who === 'bot' && last.node === step.tree + '/' + step.node && last.text === step.text)) {
          this.log.push({ who: 'bot', text: step.text, seq: view.seq, node: step.tree + '/' + step.node, kind: step.kind });
        } else {
          last.seq = view.seq;
        }
      }
      this.save();
      this.renderLog();
      this.renderControls(isEnd);
      this.setBusy(false);
      if (this.loadingShown) {
        this.say('');
      }
      if (moveFocus) {
        var first = this.root.querySelector('.controls button, .controls input, .actions button');
        if (first) {
          first.focus();
        }
      }
    }

    // ------------------------------------------------------------------ rendering

    renderLog() {
      var box = this.logBox;
      // Keep what is shown; add what is new (a live region announces additions only).
      var shown = box.children.length;
      var same = shown <= this.log.length;
      for (var i = 0; same && i < shown; i += 1) {
        if (box.children[i].getAttribute('data-text') !== this.log[i].text ||
            box.children[i].getAttribute('data-who') !== this.log[i].who) {
          same = false;
        }
      }
      if (!same) {
        while (box.firstChild) {
          box.removeChild(box.firstChild);
        }
        shown = 0;
      }
      var t = this.t;
      for (var j = shown; j < this.log.length; j += 1) {
        var entry = this.log[j];
        var bubble = el('div', { class: 'bubble ' + entry.who + (entry.kind ? ' ' + entry.kind : ''), 'data-who': entry.who });
        bubble.setAttribute('data-text', entry.text);
        bubble.appendChild(el('span', { class: 'who' }, entry.who === 'user' ? t.you : t.bot));
        bubble.appendChild(el('p', null, entry.text));
        box.appendChild(bubble);
      }
      var last = box.lastElementChild;
      if (last && last.scrollIntoView) {
        last.scrollIntoView({ block: 'nearest' });
      }
    }

    clear(node) {
      while (node.firstChild) {
        node.removeChild(node.firstChild);
      }
    }

    renderControls(isEnd) {
      var self = this;
      var t = this.t;
      var view = this.view;
      var step = view.step;
      this.clear(this.controls);
      this.clear(this.actions);
      if (isEnd) {
        if (step.kind === 'resolved') {
          var done = el('div', { class: 'card resolved' });
          done.appendChild(el('h3', null, t.resolvedTitle));
          this.controls.appendChild(done);
        } else {
          this.controls.appendChild(this.ticketCard(view));
        }
        this.renderRestart();
        return;
      }
      if (step.answers && step.answers.length) {
        var list = el('div', { class: 'answers', role: 'group', 'aria-label': step.text });
        step.answers.forEach(function (a) {
          var b = el('button', { type: 'button', class: 'answer', 'data-value': JSON.stringify(a.value) }, a.text);
          b.addEventListener('click', function () {
            self.act('answer', { value: a.value }, a.text);
          });
          list.appendChild(b);
        });
        this.controls.appendChild(list);
      } else if (step.answer_kind === 'number' || step.answer_kind === 'text') {
        this.controls.appendChild(this.inputForm(step.answer_kind, step.text));
      }
      var back = el('button', { type: 'button', class: 'back' }, t.back);
      back.disabled = !view.can_go_back;
      back.setAttribute('data-off', view.can_go_back ? 'false' : 'true');
      back.addEventListener('click', function () { self.act('back', {}); });
      var human = el('button', { type: 'button', class: 'human' }, t.human);
      human.addEventListener('click', function () { self.act('handoff', {}, t.human); });
      this.actions.appendChild(back);
      this.actions.appendChild(human);
    }

    inputForm(kind, question) {
      var self = this;
      var t = this.t;
      var form = el('form', { class: 'free', novalidate: '' });
      var id = 'tt-input';
      var hintId = 'tt-hint';
      var label = el('label', { for: id, class: 'visually-hidden' }, question);
      var input = el('input', {
        id: id,
        type: 'text',
        autocomplete: 'off',
        'aria-describedby': hintId
      });
      if (kind === 'number') {
        input.setAttribute('inputmode', 'decimal');
        input.setAttribute('placeholder', t.numberHint);
      } else {
        input.setAttribute('maxlength', '500');
      }
      var hint = el('p', { id: hintId, class: 'hint', 'aria-live': 'polite' }, kind === 'number' ? t.numberHint : '');
      var ok = el('button', { type: 'submit', class: 'send' }, t.send);
      form.appendChild(label);
      form.appendChild(input);
      form.appendChild(ok);
      form.appendChild(hint);
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        var raw = input.value;
        if (kind === 'number') {
          var n = parseNumber(raw);
          if (n === null) {
            input.setAttribute('aria-invalid', 'true');
            hint.textContent = t.numberBad;
            hint.className = 'hint bad';
            input.focus();
            return;
          }
          self.act('answer', { value: n }, asciiNumber(raw));
        } else {
          var text = raw.trim();
          if (!text || text.length > 500) {
            input.setAttribute('aria-invalid', 'true');
            hint.textContent = text ? t.textLong : t.textBad;
            hint.className = 'hint bad';
            input.focus();
            return;
          }
          self.act('answer', { value: text }, text);
        }
      });
      return form;
    }

    ticketCard(view) {
      var t = this.t;
      var step = view.step;
      var ticket = view.ticket;
      var card = el('div', { class: 'card ticket', role: 'region', 'aria-label': step.kind === 'handed_off' ? t.handedOffTitle : t.escalatedTitle });
      card.appendChild(el('h3', null, step.kind === 'handed_off' ? t.handedOffTitle : t.escalatedTitle));
      if (!ticket) {
        return card;
      }
      if (ticket.priority === 'urgent') {
        card.appendChild(el('p', { class: 'urgent' }, t.urgent));
      }
      var dl = el('dl');
      function row(term, value, cls) {
        dl.appendChild(el('dt', null, term));
        var dd = el('dd', cls ? { class: cls } : null, value);
        dl.appendChild(dd);
        return dd;
      }
      row(t.caseId, ticket.id, 'case-id');
      var ch = ticket.channel || {};
      row(t.channel, (t.kinds[ch.kind] || ch.kind || '') + (ch.contact ? ' · ' + ch.contact : ''), 'contact');
      row(t.hours, (ch.hours ? ch.hours : t.always) + ' · ' + (ch.open_now ? t.openNow : t.closedNow), 'hours');
      row(t.reply, ch.response_hours ? t.replyHours(ch.response_hours) : t.replyNow, 'reply');
      if (ch.busy) {
        row(t.busy.replace(/[:：]\s*$/, ''), ch.busy, 'busy');
      }
      card.appendChild(dl);
      card.appendChild(el('p', { class: 'note' }, t.caseNote));
      var prepare = (ticket.prepare && ticket.prepare.length ? ticket.prepare : step.prepare) || [];
      if (prepare.length) {
        card.appendChild(el('h4', null, t.prepare));
        var ul = el('ul', { class: 'prepare' });
        prepare.forEach(function (p) { ul.appendChild(el('li', null, p)); });
        card.appendChild(ul);
      }
      if (ch.example) {
        card.appendChild(el('p', { class: 'note example' }, t.example));
      }
      return card;
    }

    renderRestart() {
      var self = this;
      this.clear(this.actions);
      var again = el('button', { type: 'button', class: 'restart' }, this.t.restart);
      again.addEventListener('click', function () {
        self.generation += 1;
        self.say('');
        self.start();
      });
      this.actions.appendChild(again);
    }
  }

  window.customElements.define('troubletree-chat', TroubletreeChat);
})();
