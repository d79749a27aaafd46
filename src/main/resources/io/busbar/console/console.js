/* Busbar console: live view of the cluster over the SockJS event-bus bridge. Plain browser JavaScript,
   no framework; EventBus comes from @vertx/eventbus-bridge-client.js and SockJS from sockjs-client. */
(function () {
  'use strict';

  var NODES = 'busbar.nodes';
  var SILENT_MS = 5000;      // a node not heard for this long is shown as silent
  var FORGET_MS = 30000;     // and removed after this long
  var TAIL_MAX = 200;
  var REQUEST_TIMEOUT_MS = 10000;

  var $ = function (id) { return document.getElementById(id); };
  var nodes = {};            // nodeId -> {stats, heard}
  var watched = [];          // addresses of the live tail, re-registered on every (re)connect
  var lastAction = null;     // what a bare access_denied (it carries no address) refers to
  var eb = null;
  var everOpen = false;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fmtDuration(ms) {
    var s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
      m = Math.floor(s % 3600 / 60);
    if (d) return d + 'd ' + h + 'h';
    if (h) return h + 'h ' + m + 'm';
    if (m) return m + 'm ' + (s % 60) + 's';
    return s + 's';
  }

  function fmtMiB(bytes) { return (bytes / 1048576).toFixed(0) + ' MiB'; }
  function fmtRate(r) { return (r || 0).toFixed(r >= 10 ? 0 : 1); }
  function fmtTime(t) { return new Date(t).toLocaleTimeString(); }

  // ---- connection state ----------------------------------------------------------------------------

  function setConnection(state, text) {
    var pill = $('connection');
    pill.className = 'pill ' + state;
    pill.textContent = text;
    var banner = $('banner');
    if (state === 'closed') {
      banner.textContent = 'Connection to the node lost: the data below is stale. Reconnecting by itself…';
      banner.hidden = false;
      document.body.classList.add('disconnected');
    } else {
      banner.hidden = true;
      document.body.classList.remove('disconnected');
    }
    $('send-button').disabled = state !== 'open';
    $('tail-button').disabled = state !== 'open';
  }

  function connect(sockjsPath) {
    eb = new EventBus(sockjsPath, { vertxbus_reconnect_delay_max: 3000 });
    eb.enableReconnect(true);
    eb.onopen = function () {
      // Also called after every reconnect: the client forgets its registrations with the old socket.
      setConnection('open', everOpen ? 'Reconnected' : 'Connected');
      everOpen = true;
      eb.registerHandler(NODES, onNode);
      watched.forEach(function (address) { eb.registerHandler(address, onTail); });
    };
    eb.onclose = function () {
      setConnection('closed', 'Disconnected: reconnecting…');
    };
    eb.onerror = function (err) {
      var denied = err && (err.body === 'access_denied' || err.message === 'access_denied');
      if (denied && lastAction && lastAction.kind === 'watch') {
        unwatch(lastAction.address);
        notice('Not allowed to watch ' + lastAction.address + ' (gateway.outbound).');
      } else if (denied && lastAction) {
        showResult('Refused: ' + lastAction.address + ' is not permitted (gateway.inbound).', true);
      } else if (err) {
        notice('Error from the bridge: ' + (err.body || err.message || JSON.stringify(err)));
      }
    };
  }

  // ---- nodes and busiest addresses -----------------------------------------------------------------

  function onNode(err, msg) {
    if (err || !msg || !msg.body || !msg.body.nodeId) return;
    nodes[msg.body.nodeId] = { stats: msg.body, heard: Date.now() };
    render();
  }

  function render() {
    var now = Date.now();
    var ids = Object.keys(nodes).filter(function (id) {
      if (now - nodes[id].heard > FORGET_MS) { delete nodes[id]; return false; }
      return true;
    }).sort();
    $('node-count').textContent = String(ids.length);
    var body = $('nodes');
    body.textContent = '';
    if (!ids.length) {
      var tr = el('tr', 'empty');
      var td = el('td', null, 'Waiting for heartbeats on busbar.nodes…');
      td.colSpan = 8;
      tr.appendChild(td);
      body.appendChild(tr);
    }
    var totals = {};
    ids.forEach(function (id) {
      var n = nodes[id], s = n.stats;
      var row = el('tr', now - n.heard > SILENT_MS ? 'stale' : 'live');
      row.dataset.nodeId = id;
      var name = el('td');
      var code = el('code', null, id.slice(0, 8));
      code.title = id;
      name.appendChild(code);
      row.appendChild(name);
      var roles = el('td');
      (s.roles || []).forEach(function (r) { roles.appendChild(el('span', 'tag', r)); });
      row.appendChild(roles);
      row.appendChild(el('td', null, fmtDuration(s.uptimeMs || 0)));
      var heap = el('td');
      heap.textContent = fmtMiB(s.heapUsedBytes || 0) + ' / ' + fmtMiB(s.heapMaxBytes || 0);
      row.appendChild(heap);
      row.appendChild(el('td', 'num', String(s.socketsOpen || 0)));
      row.appendChild(el('td', 'num', fmtRate(s.eventsInPerSec)));
      row.appendChild(el('td', 'num', fmtRate(s.eventsOutPerSec)));
      row.appendChild(el('td', null, fmtDuration(now - n.heard) + ' ago'));
      body.appendChild(row);
      if (now - n.heard <= SILENT_MS) {
        (s.busiest || []).forEach(function (b) { totals[b.address] = (totals[b.address] || 0) + b.perSec; });
      }
    });
    renderBusiest(totals);
  }

  function renderBusiest(totals) {
    var list = Object.keys(totals).map(function (a) { return [a, totals[a]]; })
      .sort(function (x, y) { return y[1] - x[1] || (x[0] < y[0] ? -1 : 1); }).slice(0, 8);
    var body = $('busiest');
    body.textContent = '';
    if (!list.length) {
      var tr = el('tr', 'empty');
      var td = el('td', null, 'No traffic yet.');
      td.colSpan = 3;
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    var max = list[0][1] || 1;
    list.forEach(function (entry) {
      var tr = el('tr');
      tr.appendChild(el('td', null, entry[0]));
      tr.appendChild(el('td', 'num', fmtRate(entry[1])));
      var cell = el('td');
      var bar = el('div', 'bar');
      var fill = el('span');
      fill.style.width = Math.max(2, Math.round(100 * entry[1] / max)) + '%';
      bar.appendChild(fill);
      cell.appendChild(bar);
      tr.appendChild(cell);
      body.appendChild(tr);
    });
  }

  // ---- live tail ------------------------------------------------------------------------------------

  function notice(text) {
    var n = $('tail-notice');
    n.textContent = text;
    n.hidden = !text;
  }

  function watch(address) {
    if (!address || watched.indexOf(address) >= 0) return;
    notice('');
    lastAction = { kind: 'watch', address: address };
    watched.push(address);
    eb.registerHandler(address, onTail);
    renderChips();
  }

  function unwatch(address) {
    var i = watched.indexOf(address);
    if (i < 0) return;
    watched.splice(i, 1);
    try { eb.unregisterHandler(address, onTail); } catch (e) { /* not connected: nothing to undo */ }
    renderChips();
  }

  function renderChips() {
    var box = $('tail-subscriptions');
    box.textContent = '';
    watched.forEach(function (address) {
      var chip = el('span', 'chip', address);
      var x = el('button', null, '×');
      x.type = 'button';
      x.title = 'Stop watching ' + address;
      x.addEventListener('click', function () { unwatch(address); });
      chip.appendChild(x);
      box.appendChild(chip);
    });
  }

  function onTail(err, msg) {
    if (err || !msg) return;
    var li = el('li');
    li.appendChild(el('span', 'time', fmtTime(Date.now())));
    var addr = el('span', 'addr', msg.address);
    var id = msg.headers && msg.headers['ce-id'];
    if (id) addr.appendChild(el('span', 'id', id));
    li.appendChild(addr);
    li.appendChild(el('pre', 'body', JSON.stringify(msg.body, null, 1)));
    var tail = $('tail');
    tail.insertBefore(li, tail.firstChild);
    while (tail.children.length > TAIL_MAX) tail.removeChild(tail.lastChild);
  }

  // ---- publish / request ------------------------------------------------------------------------------

  function showResult(text, isError) {
    var r = $('send-result');
    r.textContent = text;
    r.className = 'result' + (isError ? ' error' : '');
    r.hidden = false;
  }

  function send(event) {
    event.preventDefault();
    var address = $('send-address').value.trim();
    var mode = document.querySelector('input[name=mode]:checked').value;
    var body;
    try {
      body = JSON.parse($('send-body').value);
    } catch (e) {
      showResult('The body is not valid JSON: ' + e.message, true);
      return;
    }
    lastAction = { kind: mode, address: address };
    if (mode === 'publish') {
      eb.publish(address, body);
      showResult('Published to ' + address + ' at ' + fmtTime(Date.now()) + '.', false);
      return;
    }
    showResult('Waiting for a reply from ' + address + '…', false);
    var done = false;
    var timer = setTimeout(function () {
      if (!done) { done = true; showResult('No reply within ' + REQUEST_TIMEOUT_MS / 1000 + ' s.', true); }
    }, REQUEST_TIMEOUT_MS);
    eb.send(address, body, {}, function (err, reply) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        showResult('Failed: ' + (err.failureType || '') + ' ' + (err.failureCode || '') + ' ' + (err.message || ''), true);
      } else {
        showResult('Reply:\n' + JSON.stringify(reply.body, null, 2), false);
      }
    });
  }

  // ---- start ------------------------------------------------------------------------------------------

  $('send-form').addEventListener('submit', send);
  $('tail-form').addEventListener('submit', function (e) {
    e.preventDefault();
    watch($('tail-address').value.trim());
  });
  $('tail-clear').addEventListener('click', function () { $('tail').textContent = ''; });
  setInterval(render, 1000);
  // For the browser test and the curious: the live EventBus (e.g. to drop its socket and watch the reconnect).
  window.busbarConsole = { eventBus: function () { return eb; } };
  setConnection('connecting', 'Connecting…');

  fetch('/console/config.json').then(function (r) { return r.json(); }).then(function (conf) {
    $('served-by').textContent = conf.nodeId.slice(0, 8);
    $('served-by').title = conf.nodeId;
    connect(conf.sockjsPath);
  }).catch(function () {
    setConnection('closed', 'Node unreachable: reload the page');
  });
}());
