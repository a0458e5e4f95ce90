// The agents' queue (/agent): open tickets, most urgent then newest first (the API's
// order); claim and close; each ticket as the document an agent reads: why, what the
// user was told, the journey in words (across trees), the facts and who supplied them.
// The agent token and name are kept in sessionStorage (this tab only). Ticket texts are
// untrusted: everything goes into the DOM through textContent.
(function () {
  'use strict';

  var page = window.troubletreePage;
  var $ = page.byId;
  var el = page.el;
  var clear = page.clear;
  var stored = page.stored;
  var store = page.store;

  var TEXT = {
    zh: {
      title: '工单队列', token: '坐席令牌', name: '您的姓名或工号', enter: '进入', status: '状态',
      open: '待处理', claimed: '处理中', closed: '已关闭', refresh: '刷新', signout: '退出',
      signedIn: function (n) { return '坐席：' + n; }, empty: '没有工单。', loading: '正在加载…',
      unreachable: '连不上服务器，稍后会自动刷新。', badToken: '令牌不对，请重新输入。',
      pick: '选择左侧的工单查看详情。', claim: '认领', close: '关闭工单', claimedBy: function (a) { return '已被 ' + a + ' 认领'; },
      closedBy: function (a) { return '已由 ' + a + ' 关闭'; },
      why: '为什么需要人工', told: '用户被告知', journey: '排查经过', facts: '已知信息', about: '工单信息',
      channel: '联系方式', hours: '服务时间', always: '全天 24 小时', reply: '回复时间', replyNow: '即时',
      replyHours: function (h) { return h + ' 小时内'; }, prepare: '请用户准备', openNow: '当时在服务时间内', closedNow: '当时不在服务时间内',
      busy: '繁忙时段', example: '示例联系方式', origins: { user: '用户回答', host: '钱包后台提供', auto: '自动判断', walk: '由其他信息推出' },
      kinds: { escalation: '流程转人工', handoff: '用户主动转人工' }, jumped: function (t) { return '转到流程「' + t + '」'; },
      fact: '信息', value: '值', source: '来源', caseNo: '案件号', ticketId: '工单号', session: '会话', started: '起点',
      created: '创建时间', local: '客服时间', tree: '流程', version: '版本', priority: '优先级', kind: '类型', yes: '是', no: '否',
      priorities: { urgent: '紧急', high: '高', normal: '普通', low: '低' }, failed: '操作失败：', urgentFirst: '最紧急的在前，其次最新的在前。'
    },
    en: {
      title: 'Ticket queue', token: 'Agent token', name: 'Your name or agent id', enter: 'Sign in', status: 'Status',
      open: 'Open', claimed: 'Claimed', closed: 'Closed', refresh: 'Refresh', signout: 'Sign out',
      signedIn: function (n) { return 'Agent: ' + n; }, empty: 'No tickets.', loading: 'Loading…',
      unreachable: 'Cannot reach the server; the list will refresh by itself.', badToken: 'That token is not right; enter it again.',
      pick: 'Choose a ticket to read it.', claim: 'Claim', close: 'Close ticket', claimedBy: function (a) { return 'Claimed by ' + a; },
      closedBy: function (a) { return 'Closed by ' + a; },
      why: 'Why a person is needed', told: 'What the user was told', journey: 'The journey', facts: 'What is known', about: 'Ticket',
      channel: 'Contact', hours: 'Hours', always: 'Open 24 hours', reply: 'Reply time', replyNow: 'at once',
      replyHours: function (h) { return 'within ' + h + ' hours'; }, prepare: 'Asked to have ready', openNow: 'open at the time', closedNow: 'closed at the time',
      busy: 'Busy period', example: 'example contacts', origins: { user: 'answered by the user', host: 'supplied by the wallet', auto: 'decided automatically', walk: 'worked out from other facts' },
      kinds: { escalation: 'the flow handed over', handoff: 'the user asked for a person' }, jumped: function (t) { return 'went on in flow "' + t + '"'; },
      fact: 'Fact', value: 'Value', source: 'Source', caseNo: 'Case', ticketId: 'Ticket', session: 'Session', started: 'Started at',
      created: 'Created', local: 'Help-desk time', tree: 'Flow', version: 'Version', priority: 'Priority', kind: 'Kind', yes: 'yes', no: 'no',
      priorities: { urgent: 'urgent', high: 'high', normal: 'normal', low: 'low' }, failed: 'That did not work: ', urgentFirst: 'Most urgent first, then newest first.'
    }
  };
  var TOKEN = 'troubletree:agent:token';
  var NAME = 'troubletree:agent:name';

  var lang = pickLang(stored('troubletree:agent:lang') || navigator.language);
  var status = 'open';
  var tickets = [];
  var selected = null;
  var timer = null;

  function pickLang(l) {
    return String(l || '').toLowerCase().indexOf('en') === 0 ? 'en' : 'zh';
  }

  function t() {
    return TEXT[lang];
  }

  function api(method, path, body) {
    var init = { method: method, headers: { Accept: 'application/json', Authorization: 'Bearer ' + (stored(TOKEN) || '') } };
    if (body) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (e) {
          data = null;
        }
        if (!r.ok) {
          var err = new Error((data && data.detail) || String(r.status));
          err.status = r.status;
          throw err;
        }
        return data;
      });
    });
  }

  function applyLang() {
    var x = t();
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = x.title;
    $('page-title').textContent = x.title;
    $('token-label').textContent = x.token;
    $('name-label').textContent = x.name;
    $('signin-button').textContent = x.enter;
    $('refresh').textContent = x.refresh;
    $('signout').textContent = x.signout;
    document.querySelector('.tabs').setAttribute('aria-label', x.status);
    document.querySelectorAll('.tabs button').forEach(function (b) {
      b.textContent = x[b.getAttribute('data-status')];
    });
    document.querySelectorAll('.langs button').forEach(function (b) {
      b.setAttribute('aria-pressed', b.getAttribute('data-lang') === lang ? 'true' : 'false');
    });
    if (stored(NAME)) {
      $('who').textContent = x.signedIn(stored(NAME));
    }
    renderList();
    renderDoc();
  }

  function signedIn() {
    return !!(stored(TOKEN) && stored(NAME));
  }

  function showDesk() {
    var ok = signedIn();
    $('signin').hidden = ok;
    $('desk').hidden = !ok;
    if (ok) {
      $('who').textContent = t().signedIn(stored(NAME));
      load();
    } else {
      $('token').focus();
    }
  }

  function load() {
    clearTimeout(timer);
    if (!signedIn()) {
      return;
    }
    api('GET', '/v1/tickets?status=' + status + '&limit=200').then(function (list) {
      tickets = list.tickets || [];
      $('desk-status').textContent = t().urgentFirst;
      renderList();
      timer = setTimeout(load, 10000);
    }, function (err) {
      if (err.status === 401) {
        store(TOKEN, null);
        $('signin-error').textContent = t().badToken;
        $('signin-error').hidden = false;
        showDesk();
        return;
      }
      $('desk-status').textContent = t().unreachable;
      timer = setTimeout(load, 5000);
    });
  }

  function renderList() {
    var list = $('tickets');
    clear(list);
    if (!tickets.length) {
      list.appendChild(el('li', 'updated', t().empty));
      return;
    }
    tickets.forEach(function (view) {
      var tk = view.ticket;
      var li = el('li');
      var b = el('button');
      b.type = 'button';
      b.setAttribute('data-ticket', tk.id);
      if (selected && selected.ticket.id === tk.id) {
        b.setAttribute('aria-current', 'true');
      }
      var head = el('span');
      head.appendChild(el('span', 'badge ' + tk.priority, t().priorities[tk.priority] || tk.priority));
      head.appendChild(el('strong', null, tk.title || tk.tree));
      b.appendChild(head);
      b.appendChild(el('span', 'reason', tk.reason));
      b.appendChild(el('span', 'meta', tk.local_time + ' · ' + (t().kinds[tk.kind] || tk.kind) + (view.agent ? ' · ' + view.agent : '')));
      b.addEventListener('click', function () {
        selected = view;
        renderList();
        renderDoc();
        $('doc').focus();
      });
      li.appendChild(b);
      list.appendChild(li);
    });
  }

  function shown(value) {
    if (value === true) {
      return t().yes;
    }
    if (value === false) {
      return t().no;
    }
    return String(value);
  }

  function renderDoc() {
    var doc = $('doc');
    clear(doc);
    var x = t();
    if (!selected) {
      doc.appendChild(el('p', 'updated', x.pick));
      return;
    }
    var view = selected;
    var tk = view.ticket;
    var h = el('h2');
    h.appendChild(el('span', 'badge ' + tk.priority, x.priorities[tk.priority] || tk.priority));
    h.appendChild(document.createTextNode(tk.title || tk.tree));
    doc.appendChild(h);
    var state = el('p', 'updated', view.agent ? (view.status === 'closed' ? x.closedBy(view.agent) : x.claimedBy(view.agent)) : x[view.status]);
    state.id = 'doc-state';
    doc.appendChild(state);

    var actions = el('div', 'doc-actions');
    if (view.status === 'open') {
      var claim = el('button', 'primary', x.claim);
      claim.type = 'button';
      claim.id = 'claim';
      claim.addEventListener('click', function () { move('claim'); });
      actions.appendChild(claim);
    }
    if (view.status !== 'closed') {
      var close = el('button', null, x.close);
      close.type = 'button';
      close.id = 'close';
      close.addEventListener('click', function () { move('close'); });
      actions.appendChild(close);
    }
    doc.appendChild(actions);
    var problem = el('p', 'error');
    problem.id = 'doc-error';
    problem.setAttribute('role', 'alert');
    problem.hidden = true;
    doc.appendChild(problem);

    doc.appendChild(el('h3', null, x.why));
    doc.appendChild(el('p', 'reason', tk.reason));

    doc.appendChild(el('h3', null, x.told));
    var told = el('dl');
    var ch = tk.channel || {};
    pair(told, x.channel, ch.contact);
    pair(told, x.hours, (ch.hours || x.always) + ' · ' + (ch.open_now ? x.openNow : x.closedNow));
    pair(told, x.reply, ch.response_hours ? x.replyHours(ch.response_hours) : x.replyNow);
    if (ch.busy) {
      pair(told, x.busy, ch.busy);
    }
    if (ch.example) {
      pair(told, '⚠', x.example);
    }
    if (tk.prepare && tk.prepare.length) {
      pair(told, x.prepare, tk.prepare.join('；'));
    }
    doc.appendChild(told);

    doc.appendChild(el('h3', null, x.journey));
    var ol = el('ol', 'journey');
    var tree = null;
    (tk.journey || []).forEach(function (line) {
      var li = el('li');
      if (tree !== null && line.tree !== tree) {
        li.appendChild(el('span', 'jump', x.jumped(line.tree)));
        li.appendChild(document.createElement('br'));
      }
      tree = line.tree;
      li.appendChild(el('span', 'text', line.text));
      if (line.answer !== null && line.answer !== undefined) {
        li.appendChild(el('span', 'said', '→ ' + line.answer));
      } else if (line.value !== null && line.value !== undefined) {
        li.appendChild(el('span', 'said', '→ ' + shown(line.value)));
      }
      li.appendChild(el('span', 'origin', x.origins[line.origin] || line.origin));
      ol.appendChild(li);
    });
    doc.appendChild(ol);

    doc.appendChild(el('h3', null, x.facts));
    var table = el('table', 'facts');
    var head = el('tr');
    [x.fact, x.value, x.source].forEach(function (c) { head.appendChild(el('th', null, c)); });
    var thead = el('thead');
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el('tbody');
    (tk.facts || []).forEach(function (f) {
      var tr = el('tr');
      tr.appendChild(el('td', null, f.name));
      tr.appendChild(el('td', null, shown(f.value)));
      tr.appendChild(el('td', null, x.origins[f.origin] || f.origin));
      body.appendChild(tr);
    });
    table.appendChild(body);
    doc.appendChild(table);

    doc.appendChild(el('h3', null, x.about));
    var about = el('dl');
    pair(about, x.ticketId, tk.id);
    pair(about, x.caseNo, tk.case);
    pair(about, x.kind, x.kinds[tk.kind] || tk.kind);
    pair(about, x.tree, tk.tree + ' · ' + x.version + ' ' + tk.tree_version + ' · ' + tk.fingerprint);
    pair(about, x.started, tk.started);
    pair(about, x.created, tk.created_at);
    pair(about, x.local, tk.local_time);
    pair(about, x.session, tk.session);
    doc.appendChild(about);
  }

  function pair(dl, term, value) {
    dl.appendChild(el('dt', null, term));
    dl.appendChild(el('dd', null, value));
  }

  function move(action) {
    if (!selected) {
      return;
    }
    var id = selected.ticket.id;
    api('POST', '/v1/tickets/' + id + '/' + action, { agent: stored(NAME) }).then(function (view) {
      selected = view;
      renderDoc();
      // The ticket moved: show the list it is in now.
      showTab(view.status);
      var next = $('close') || $('doc');
      next.focus();
    }, function (err) {
      var box = $('doc-error');
      if (box) {
        box.textContent = t().failed + err.message;
        box.hidden = false;
      }
      load();
    });
  }

  $('signin').addEventListener('submit', function (e) {
    e.preventDefault();
    var token = $('token').value.trim();
    var name = $('agent-name').value.trim();
    if (!token || !name) {
      return;
    }
    store(TOKEN, token);
    store(NAME, name);
    $('token').value = '';
    $('signin-error').hidden = true;
    showDesk();
  });
  $('signout').addEventListener('click', function () {
    store(TOKEN, null);
    store(NAME, null);
    tickets = [];
    selected = null;
    clearTimeout(timer);
    showDesk();
  });
  $('refresh').addEventListener('click', load);
  function showTab(which) {
    status = which;
    document.querySelectorAll('.tabs button').forEach(function (o) {
      o.setAttribute('aria-pressed', o.getAttribute('data-status') === which ? 'true' : 'false');
    });
    load();
  }

  document.querySelectorAll('.tabs button').forEach(function (b) {
    b.addEventListener('click', function () {
      showTab(b.getAttribute('data-status'));
    });
  });
  document.querySelectorAll('.langs button').forEach(function (b) {
    b.addEventListener('click', function () {
      lang = b.getAttribute('data-lang');
      store('troubletree:agent:lang', lang);
      applyLang();
    });
  });

  applyLang();
  showDesk();
})();
