// The writers' preview (/preview): the tree files on disk, drawn, checked and walked.
// It polls /v1/preview/files (a digest of the files) every second and reloads
// everything when the digest changes, so an edit shows up by itself. The writer token is
// kept in sessionStorage (this tab only).
//
// Tree text is untrusted. Texts go into the DOM through textContent. The picture is the
// server's SVG, whose texts are escaped where it is made; it is parsed as XML (never as
// HTML), and anything but the drawing elements and attributes is dropped before it is
// shown.
(function () {
  'use strict';

  var page = window.troubletreePage;
  var $ = page.byId;
  var el = page.el;
  var clear = page.clear;

  var TOKEN = 'troubletree:writer:token';
  var POLL_MS = 1000;
  var state = {
    overview: null,
    tree: null,
    view: null,
    locale: '',
    walk: null, // { tree, at, answers: [], result }
    polling: null,
    loading: false
  };

  function stored() {
    try {
      return window.sessionStorage.getItem(TOKEN);
    } catch (e) {
      return state.token || null;
    }
  }

  function store(value) {
    state.token = value;
    try {
      if (value === null) {
        window.sessionStorage.removeItem(TOKEN);
      } else {
        window.sessionStorage.setItem(TOKEN, value);
      }
    } catch (e) {
      /* kept in memory */
    }
  }

  function api(method, path, body) {
    var init = { method: method, headers: { Accept: 'application/json', Authorization: 'Bearer ' + (stored() || '') } };
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
          var err = new Error((data && data.detail) || ('HTTP ' + r.status));
          err.status = r.status;
          err.code = data && data.code;
          throw err;
        }
        return data;
      });
    });
  }

  function problem(text) {
    var p = $('problem');
    p.textContent = text || '';
    p.hidden = !text;
  }

  function unauthorized(err) {
    if (err && err.status === 401) {
      store(null);
      $('signin-error').textContent = 'That token is not accepted: the preview needs the writer token (TROUBLETREE_WRITER_TOKEN) or the admin token.';
      $('signin-error').hidden = false;
      showDesk();
      return true;
    }
    return false;
  }

  function showDesk() {
    var ok = !!stored();
    $('signin').hidden = ok;
    $('desk').hidden = !ok;
    clearTimeout(state.polling);
    if (ok) {
      refresh();
    } else {
      $('token').focus();
    }
  }

  // ------------------------------------------------------------------ loading

  function refresh() {
    if (state.loading) {
      return Promise.resolve();
    }
    state.loading = true;
    var locale = state.locale ? '?locale=' + encodeURIComponent(state.locale) : '';
    return api('GET', '/v1/preview/overview' + locale).then(function (overview) {
      state.overview = overview;
      renderOverview();
      var trees = overview.files.filter(function (f) { return f.kind === 'tree'; });
      if (!state.tree && trees.length) {
        var wanted = new URLSearchParams(location.search).get('tree');
        state.tree = trees.some(function (f) { return f.tree === wanted; }) ? wanted : trees[0].tree;
      }
      $('tree').value = state.tree || '';
      return loadTree();
    }).then(function () {
      problem('');
      stamp('Up to date');
    }, function (err) {
      if (!unauthorized(err)) {
        problem('The preview could not load: ' + err.message);
      }
    }).then(function () {
      state.loading = false;
      schedule();
    });
  }

  function loadTree() {
    if (!state.tree) {
      clear($('picture'));
      return Promise.resolve();
    }
    var q = state.locale ? '?locale=' + encodeURIComponent(state.locale) : '';
    return api('GET', '/v1/preview/trees/' + encodeURIComponent(state.tree) + q).then(function (view) {
      state.view = view;
      renderTree();
      if (state.walk && state.walk.tree === view.id) {
        // An edit may have made the answers so far not fit: the walk panel says so.
        return replay().catch(function () { return null; });
      }
      return null;
    }, function (err) {
      if (err.status === 404) {
        state.view = null;
        clear($('picture'));
        $('coverage').textContent = 'Tree "' + state.tree + '" does not compile right now: see the findings.';
        return null;
      }
      throw err;
    });
  }

  function schedule() {
    clearTimeout(state.polling);
    state.polling = setTimeout(poll, POLL_MS);
  }

  function poll() {
    if (!stored()) {
      return;
    }
    api('GET', '/v1/preview/files').then(function (files) {
      if (!state.overview || files.digest !== state.overview.digest) {
        stamp('Files changed: reloading…');
        return refresh();
      }
      schedule();
      return null;
    }, function (err) {
      if (!unauthorized(err)) {
        stamp('The server cannot be reached; trying again…');
        schedule();
      }
    });
  }

  function stamp(text) {
    var now = new Date();
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    $('updated').textContent = text + ' · ' + pad(now.getHours()) + ':' + pad(now.getMinutes()) + ':' + pad(now.getSeconds());
  }

  // ------------------------------------------------------------------ rendering

  function renderOverview() {
    var o = state.overview;
    var select = $('tree');
    clear(select);
    o.files.forEach(function (f) {
      if (f.kind === 'directory') {
        return;
      }
      var option = el('option');
      if (f.kind === 'tree') {
        option.value = f.tree;
        option.textContent = f.tree + (f.title ? ' — ' + f.title : '') + (f.warnings ? ' (' + f.warnings + ' warning' + (f.warnings > 1 ? 's' : '') + ')' : '');
      } else {
        option.value = '';
        option.disabled = true;
        option.textContent = f.path.split('/').pop() + ' — ' + f.errors + ' error' + (f.errors === 1 ? '' : 's');
      }
      select.appendChild(option);
    });
    select.value = state.tree || '';
    var errors = o.findings.filter(function (f) { return f.severity === 'error'; }).length;
    $('summary').textContent = o.ok
      ? 'The files check: ' + (o.findings.length ? o.findings.length + ' warning(s).' : 'no findings.')
      : errors + ' error(s): the service would refuse to publish these files.';
    var list = $('findings');
    clear(list);
    var mine = state.view ? state.view.file : null;
    var ordered = o.findings.slice().sort(function (a, b) {
      return (a.file === mine ? 0 : 1) - (b.file === mine ? 0 : 1);
    });
    ordered.forEach(function (f) {
      var li = el('li', f.severity);
      li.textContent = f.file + ':' + f.line + ':' + f.column + ': ' + f.severity + '[' + f.code + ']: ' + f.message + (f.node ? ' (node ' + f.node + ')' : '');
      list.appendChild(li);
    });
    var s = o.scenarios;
    $('scenarios').textContent = s.ran
      ? s.cases + ' case(s) from ' + s.paths.join(', ') + ': ' + (s.failures.length ? s.failures.length + ' failed.' : 'all pass.')
      : (s.note || '');
    var failures = $('scenario-failures');
    clear(failures);
    s.failures.forEach(function (f) {
      failures.appendChild(el('li', 'error', f));
    });
  }

  var SVG_ELEMENTS = { svg: 1, g: 1, rect: 1, path: 1, text: 1, title: 1, defs: 1, marker: 1 };
  var SVG_ATTRIBUTES = /^(xmlns|class|viewBox|width|height|x|y|rx|d|fill|fill-opacity|stroke|stroke-width|stroke-dasharray|marker-end|font-family|font-size|font-weight|text-anchor|refX|refY|markerWidth|markerHeight|orient|role|aria-label|tabindex|data-node|data-index|data-edge)$/;

  // Keeps only the drawing: known elements and attributes, no links, no handlers.
  function sanitize(node) {
    var children = Array.prototype.slice.call(node.childNodes);
    children.forEach(function (child) {
      if (child.nodeType === 1) {
        if (!SVG_ELEMENTS[child.localName] || child.namespaceURI !== 'http://www.w3.org/2000/svg') {
          node.removeChild(child);
          return;
        }
        Array.prototype.slice.call(child.attributes).forEach(function (a) {
          // Ids only on the arrowheads, which the edges name; no other reference.
          var arrow = /^tt-arrow[a-z-]*$/;
          var keep = a.name === 'id'
            ? child.localName === 'marker' && arrow.test(a.value)
            : SVG_ATTRIBUTES.test(a.name) && !/^\s*javascript:/i.test(a.value) &&
              (a.name !== 'marker-end' || /^url\(#tt-arrow[a-z-]*\)$/.test(a.value));
          if (!keep) {
            child.removeAttribute(a.name);
          }
        });
        sanitize(child);
      } else if (child.nodeType !== 3) {
        node.removeChild(child);
      }
    });
  }

  function renderTree() {
    var view = state.view;
    var box = $('picture');
    clear(box);
    var doc = new DOMParser().parseFromString(view.svg, 'image/svg+xml');
    var svg = doc.documentElement;
    if (svg.localName !== 'svg' || doc.getElementsByTagName('parsererror').length) {
      box.appendChild(el('p', 'error', 'The picture could not be read.'));
    } else {
      sanitize(svg);
      Array.prototype.slice.call(svg.attributes).forEach(function (a) {
        if (!SVG_ATTRIBUTES.test(a.name)) {
          svg.removeAttribute(a.name);
        }
      });
      var picture = document.importNode(svg, true);
      box.appendChild(picture);
      picture.querySelectorAll('.tt-node').forEach(function (g) {
        var id = g.getAttribute('data-node');
        g.addEventListener('click', function () { startWalk(id); });
        g.addEventListener('keydown', function (e) {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            startWalk(id);
          }
        });
      });
    }
    var c = view.coverage;
    $('coverage').textContent = (view.title ? view.title + ' · ' : '') + view.file + ' · ' + view.nodes.length + ' nodes' +
      (c ? ' · scenario coverage: nodes ' + c.nodes_covered + '/' + c.nodes_total + ', edges ' + c.edges_covered + '/' + c.edges_total : ' · no coverage (see Scenarios)');
    $('legend').hidden = !c;
    var uncovered = $('uncovered');
    clear(uncovered);
    (c ? c.uncovered_edges : []).forEach(function (e) {
      uncovered.appendChild(el('li', 'warning', e));
    });
    if (c && !c.uncovered_edges.length) {
      uncovered.appendChild(el('li', null, 'None: the scenarios take every edge of this tree.'));
    }
    var locales = $('locale');
    clear(locales);
    view.locales.forEach(function (l) {
      var o = el('option', null, l);
      o.value = l;
      locales.appendChild(o);
    });
    locales.value = view.locale;
    var from = $('from');
    var before = from.value;
    clear(from);
    view.nodes.forEach(function (n) {
      var o = el('option', null, n.id + ' (' + n.kind + ')' + (n.id === view.start ? ' — start' : ''));
      o.value = n.id;
      from.appendChild(o);
    });
    from.value = view.nodes.some(function (n) { return n.id === before; }) ? before : view.start;
    renderOverview();
    mark();
  }

  // Shows the walk on the picture: visited nodes of this tree, and the current one.
  function mark() {
    var picture = $('picture');
    picture.querySelectorAll('.tt-node').forEach(function (g) {
      g.classList.remove('current');
      g.classList.remove('visited');
    });
    var result = state.walk && state.walk.result;
    if (!result || !state.view) {
      return;
    }
    var prefix = state.view.id + '/';
    result.path.forEach(function (place, i) {
      if (place.indexOf(prefix) !== 0) {
        return;
      }
      var node = place.slice(prefix.length);
      picture.querySelectorAll('.tt-node').forEach(function (g) {
        if (g.getAttribute('data-node') === node) {
          g.classList.add(i === result.path.length - 1 ? 'current' : 'visited');
        }
      });
    });
  }

  // ------------------------------------------------------------------ walking

  function startWalk(at) {
    state.walk = { tree: state.tree, at: at, answers: [], result: null };
    $('from').value = at;
    replay().then(function () {
      var first = document.querySelector('#walk button, #walk input');
      if (first) {
        first.focus();
      }
    }, function () { /* shown in the walk panel */ });
  }

  function replay() {
    var w = state.walk;
    return api('POST', '/v1/preview/walk', {
      tree: w.tree,
      at: w.at,
      locale: state.view ? state.view.locale : undefined,
      answers: w.answers
    }).then(function (result) {
      w.result = result;
      w.error = null;
      renderWalk();
      mark();
    }, function (err) {
      if (unauthorized(err)) {
        return;
      }
      w.error = err.message;
      renderWalk();
      throw err;
    });
  }

  function answer(value) {
    var w = state.walk;
    w.answers.push(value);
    replay().catch(function () {
      w.answers.pop();
      renderWalk();
    });
  }

  function renderWalk() {
    var box = $('walk');
    clear(box);
    var w = state.walk;
    if (!w) {
      return;
    }
    if (w.error) {
      box.appendChild(el('p', 'error', w.error));
    }
    var r = w.result;
    if (!r) {
      return;
    }
    var step = r.step;
    box.appendChild(el('p', 'path', r.path.join(' → ')));
    var text = el('div', 'step');
    text.appendChild(el('strong', null, step.kind.toUpperCase() + ' · ' + step.tree + '/' + step.node));
    text.appendChild(document.createElement('br'));
    text.appendChild(document.createTextNode(step.text));
    box.appendChild(text);
    if (step.prepare && step.prepare.length) {
      var ul = el('ul');
      step.prepare.forEach(function (p) { ul.appendChild(el('li', null, p)); });
      box.appendChild(ul);
    }
    if (step.answers && step.answers.length) {
      var answers = el('div', 'answers');
      step.answers.forEach(function (a) {
        var b = el('button', null, a.text + '  [' + JSON.stringify(a.value) + ']');
        b.type = 'button';
        b.addEventListener('click', function () { answer(a.value); });
        answers.appendChild(b);
      });
      box.appendChild(answers);
    } else if (step.answer_kind === 'number' || step.answer_kind === 'text') {
      var form = el('form');
      var label = el('label', null, step.answer_kind === 'number' ? 'Number ' : 'Text ');
      var input = el('input');
      input.type = 'text';
      input.setAttribute('autocomplete', 'off');
      label.appendChild(input);
      form.appendChild(label);
      var ok = el('button', null, 'Answer');
      ok.type = 'submit';
      form.appendChild(ok);
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        if (step.answer_kind === 'number') {
          var n = Number(input.value.trim());
          if (!input.value.trim() || !isFinite(n)) {
            input.setAttribute('aria-invalid', 'true');
            return;
          }
          answer(n);
        } else if (input.value.trim()) {
          answer(input.value.trim());
        }
      });
      box.appendChild(form);
    }
    if (!r.whole_catalogue) {
      box.appendChild(el('p', 'updated', 'The working copy has errors: this tree is walked alone, and a Goto ends the walk.'));
    }
    if (r.decisions.length) {
      box.appendChild(el('h3', 'updated', 'Automatic decisions'));
      var ol = el('ol', 'path');
      r.decisions.forEach(function (d) { ol.appendChild(el('li', null, d)); });
      box.appendChild(ol);
    }
    var actions = el('div', 'doc-actions');
    var back = el('button', null, 'Back');
    back.type = 'button';
    back.disabled = !w.answers.length;
    back.addEventListener('click', function () {
      var removed = w.answers.pop();
      replay().catch(function () { w.answers.push(removed); renderWalk(); });
    });
    var again = el('button', null, 'Restart');
    again.type = 'button';
    again.addEventListener('click', function () { startWalk(w.at); });
    actions.appendChild(back);
    actions.appendChild(again);
    box.appendChild(actions);
  }

  // ------------------------------------------------------------------ events

  $('signin').addEventListener('submit', function (e) {
    e.preventDefault();
    var token = $('token').value.trim();
    if (!token) {
      return;
    }
    store(token);
    $('token').value = '';
    $('signin-error').hidden = true;
    showDesk();
  });
  $('signout').addEventListener('click', function () {
    store(null);
    showDesk();
  });
  $('tree').addEventListener('change', function () {
    state.tree = $('tree').value;
    state.walk = null;
    renderWalk();
    loadTree().catch(function (err) { problem(err.message); });
  });
  $('locale').addEventListener('change', function () {
    state.locale = $('locale').value;
    loadTree().catch(function (err) { problem(err.message); });
  });
  $('walk-from').addEventListener('submit', function (e) {
    e.preventDefault();
    startWalk($('from').value);
  });

  showDesk();
})();
