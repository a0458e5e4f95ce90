// The user's page (/): pick a problem, then walk it in the <troubletree-chat> element.
// ?tree=ID&lang=zh|en opens a tree directly. The open tree is remembered in
// sessionStorage, so a reload comes back to the same conversation (the element keeps
// its own session id).
(function () {
  'use strict';

  var page = window.troubletreePage;
  var $ = page.byId;
  var stored = page.stored;
  var store = page.store;

  var TEXT = {
    zh: { site: '钱包自助排查', pick: '遇到了什么问题？', change: '← 选择其他问题', loading: '正在加载…', unreachable: '暂时连不上服务器，请检查网络后重试。', retry: '重试', none: '暂时没有可用的排查流程。', title: '自助排查' },
    en: { site: 'Wallet self-help', pick: 'What went wrong?', change: '← Choose another problem', loading: 'Loading…', unreachable: 'We cannot reach the server right now: check your connection and try again.', retry: 'Retry', none: 'No help flow is available right now.', title: 'Self-help' }
  };
  var CURRENT = 'troubletree:page:tree';

  var params = new URLSearchParams(location.search);
  var lang = pick(params.get('lang') || stored('troubletree:page:lang') || navigator.language);
  var trees = null;

  function pick(l) {
    return String(l || '').toLowerCase().indexOf('en') === 0 ? 'en' : 'zh';
  }

  function applyLang() {
    var t = TEXT[lang];
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t.title;
    $('site-title').textContent = t.site;
    $('picker-title').textContent = t.pick;
    $('change').textContent = t.change;
    var buttons = document.querySelectorAll('.langs button');
    for (var i = 0; i < buttons.length; i += 1) {
      buttons[i].setAttribute('aria-pressed', buttons[i].getAttribute('data-lang') === lang ? 'true' : 'false');
    }
    renderTrees();
  }

  function renderTrees() {
    var list = $('trees');
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    if (!trees) {
      return;
    }
    if (!trees.length) {
      $('picker-status').textContent = TEXT[lang].none;
    }
    trees.forEach(function (tree) {
      var li = document.createElement('li');
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'tree';
      b.setAttribute('data-tree', tree.id);
      b.textContent = (tree.titles && (tree.titles[lang] || tree.titles[tree.locales[0]])) || tree.id;
      b.addEventListener('click', function () {
        open(tree.id, true);
      });
      li.appendChild(b);
      list.appendChild(li);
    });
  }

  function loadTrees() {
    var status = $('picker-status');
    status.textContent = TEXT[lang].loading;
    fetch('/v1/trees', { headers: { Accept: 'application/json' } }).then(function (r) {
      if (!r.ok) {
        throw new Error(String(r.status));
      }
      return r.json();
    }).then(function (list) {
      trees = list.trees || [];
      status.textContent = '';
      renderTrees();
    }, function () {
      while (status.firstChild) {
        status.removeChild(status.firstChild);
      }
      status.appendChild(document.createTextNode(TEXT[lang].unreachable + ' '));
      var again = document.createElement('button');
      again.type = 'button';
      again.textContent = TEXT[lang].retry;
      again.addEventListener('click', loadTrees);
      status.appendChild(again);
    });
  }

  function open(id, focus) {
    store(CURRENT, id);
    var slot = $('chat-slot');
    while (slot.firstChild) {
      slot.removeChild(slot.firstChild);
    }
    var chat = document.createElement('troubletree-chat');
    chat.setAttribute('tree', id);
    chat.setAttribute('lang', lang);
    slot.appendChild(chat);
    $('picker').hidden = true;
    $('chat').hidden = false;
    // The language is chosen before a conversation starts.
    document.querySelector('.langs').hidden = true;
    if (focus) {
      $('change').focus();
    }
  }

  function close() {
    store(CURRENT, null);
    var slot = $('chat-slot');
    while (slot.firstChild) {
      slot.removeChild(slot.firstChild);
    }
    $('chat').hidden = true;
    $('picker').hidden = false;
    document.querySelector('.langs').hidden = false;
    var first = document.querySelector('#trees button');
    if (first) {
      first.focus();
    }
  }

  document.querySelectorAll('.langs button').forEach(function (b) {
    b.addEventListener('click', function () {
      lang = b.getAttribute('data-lang');
      store('troubletree:page:lang', lang);
      applyLang();
    });
  });
  $('change').addEventListener('click', close);

  applyLang();
  loadTrees();
  var wanted = params.get('tree') || stored(CURRENT);
  if (wanted && /^[A-Za-z0-9_.-]{1,100}$/.test(wanted)) {
    open(wanted, false);
  }
})();
