/* quantbench's dashboard and html report: one single-page app for both. Live (served by
 * `quantbench serve`) it asks /api/... and follows /api/stream; static (`report -o html`)
 * it looks the same "<path>?<query>" keys up in the page's #qb-data. Pages: live run,
 * results, charts, history, compare (hash routes). Text from the data is only ever set
 * through textContent / text nodes, never parsed as html. Plain browser JS, no build step. */
(function () {
    'use strict';

    var dataEl = document.getElementById('qb-data');
    var STATIC = dataEl ? JSON.parse(dataEl.textContent) : null;
    var LIVE = !STATIC;
    var main = document.getElementById('qb-main');
    var nav = document.getElementById('qb-nav');
    var view = 0; /* bumped by every route change: answers of an older view are dropped */
    var stream = null; /* the live page's EventSource */

    /* ------------------------------------------------------------ helpers */

    /* an element with attributes and children (strings become text nodes) */
    function el(tag, attrs, kids) {
        var e = document.createElement(tag);
        if (attrs) {
            Object.keys(attrs).forEach(function (k) {
                var v = attrs[k];
                if (v === null || v === undefined || v === false) return;
                if (k === 'text') e.textContent = String(v);
                else if (k === 'onclick' || k === 'onchange' || k === 'oninput') e[k] = v;
                else e.setAttribute(k, v === true ? '' : String(v));
            });
        }
        add(e, kids);
        return e;
    }
    function add(e, kids) {
        if (kids === null || kids === undefined) return e;
        if (!Array.isArray(kids)) kids = [kids];
        kids.forEach(function (k) {
            if (k === null || k === undefined || k === false) return;
            if (Array.isArray(k)) { add(e, k); return; }
            e.appendChild(typeof k === 'object' ? k : document.createTextNode(String(k)));
        });
        return e;
    }
    function clear(e) {
        while (e.firstChild) e.removeChild(e.firstChild);
        return e;
    }
    function isNum(v) {
        return typeof v === 'number' && isFinite(v);
    }
    function pos(v) {
        return isNum(v) && v > 0 ? v : null;
    }
    function fix(v, d) {
        return isNum(v) ? v.toFixed(d === undefined ? 2 : d) : '-';
    }
    function pm(v, e, d) {
        if (!isNum(v)) return '-';
        return isNum(e) ? fix(v, d) + ' ± ' + fix(e, d) : fix(v, d);
    }
    function baseName(p) {
        p = String(p || '');
        var i = p.lastIndexOf('/');
        return i >= 0 ? p.slice(i + 1) : p;
    }
    function mean(xs) {
        var s = 0;
        xs.forEach(function (x) { s += x; });
        return xs.length ? s / xs.length : NaN;
    }
    function sd(xs) {
        if (xs.length < 2) return NaN;
        var m = mean(xs), s = 0;
        xs.forEach(function (x) { s += (x - m) * (x - m); });
        return Math.sqrt(s / (xs.length - 1));
    }
    function dur(s) {
        if (!isNum(s) || s < 0) return '?';
        var t = Math.round(s), h = Math.floor(t / 3600), m = Math.floor(t / 60) % 60;
        var ss = ('0' + (t % 60)).slice(-2);
        return h ? h + ':' + ('0' + m).slice(-2) + ':' + ss : m + ':' + ss;
    }
    function valueText(v) {
        if (v === null || v === undefined) return '';
        if (Array.isArray(v)) return v.map(valueText).join(' ');
        if (typeof v === 'object') return JSON.stringify(v);
        if (typeof v === 'boolean') return v ? '1' : '0';
        if (typeof v === 'number' && !Number.isInteger(v)) return v.toFixed(6);
        return String(v);
    }
    function settingsText(set) {
        return Object.keys(set || {}).map(function (k) { return k + '=' + valueText(set[k]); }).join(' ');
    }
    function rowModel(r) {
        var row = r.row || {};
        return baseName(row.model_filename || r.model || row.model_type || '?');
    }

    /* ------------------------------------------------------------ data layer */

    function NeedServe(key) {
        this.key = key;
        this.message = 'this view needs `quantbench serve`: the report does not carry ' + key;
    }
    /* the API answer of path with the query parameters in the order given ([[k, v], ...]) */
    function keyOf(path, params) {
        var q = (params || []).filter(function (p) { return p[1] !== null && p[1] !== undefined && p[1] !== ''; })
            .map(function (p) { return p[0] + '=' + encodeURIComponent(String(p[1])); }).join('&');
        return q ? path + '?' + q : path;
    }
    function api(path, params) {
        var key = keyOf(path, params);
        if (STATIC) {
            return Object.prototype.hasOwnProperty.call(STATIC, key) ?
                Promise.resolve(STATIC[key]) : Promise.reject(new NeedServe(key));
        }
        return fetch(key, {headers: {Accept: 'application/json'}, cache: 'no-store'}).then(function (r) {
            return r.json().then(function (j) {
                if (!r.ok) throw new Error((j && j.error) || key + ': HTTP ' + r.status);
                return j;
            }, function () { throw new Error(key + ': HTTP ' + r.status + ', not JSON'); });
        });
    }
    function has(path, params) {
        return !STATIC || Object.prototype.hasOwnProperty.call(STATIC, keyOf(path, params));
    }
    function failView(box, e) {
        add(box, el('p', {'class': e instanceof NeedServe ? 'note' : 'err', text: e.message || String(e)}));
    }
    /* the runs the data holds rows of: live every run with results, static those carried */
    function runsWithRows(runs) {
        return runs.filter(function (r) {
            return STATIC ? has('/api/rows', [['run', r.id]]) : r.n_results > 0;
        });
    }
    function allRows(ids) {
        return Promise.all(ids.map(function (id) { return api('/api/rows', [['run', id]]); }))
            .then(function (lists) { return [].concat.apply([], lists); });
    }

    /* ------------------------------------------------------------ routing */

    var pages = [['live', 'Live run'], ['results', 'Results'], ['charts', 'Charts'],
                 ['history', 'History'], ['compare', 'Compare']];
    function route() {
        var h = location.hash.replace(/^#\/?/, '');
        var q = '', i = h.indexOf('?');
        if (i >= 0) { q = h.slice(i + 1); h = h.slice(0, i); }
        var parts = h.split('/').filter(Boolean);
        var params = {};
        q.split('&').filter(Boolean).forEach(function (kv) {
            var j = kv.indexOf('=');
            params[decodeURIComponent(j < 0 ? kv : kv.slice(0, j))] = j < 0 ? '' : decodeURIComponent(kv.slice(j + 1));
        });
        return {page: parts[0] || (LIVE ? 'live' : 'results'), id: parts[1] || null, q: params};
    }
    function render() {
        view++;
        if (stream) { stream.close(); stream = null; }
        var r = route();
        clear(nav);
        pages.forEach(function (p) {
            if (p[0] === 'live' && !LIVE) return;
            nav.appendChild(el('a', {href: '#/' + p[0], 'class': p[0] === r.page ? 'on' : null, text: p[1]}));
        });
        clear(main);
        var fn = {live: pageLive, results: pageResults, charts: pageCharts, history: pageHistory,
                  compare: pageCompare}[r.page];
        if (!fn) { main.appendChild(el('p', {'class': 'err', text: 'no page ' + r.page})); return; }
        if (r.page === 'live' && !LIVE) {
            main.appendChild(el('p', {'class': 'note', text: 'the live run needs `quantbench serve`'}));
            return;
        }
        fn(r, view);
    }
    /* the run a page shows: the one in the route, else the newest */
    function pickRun(r) {
        if (r.id) return Promise.resolve(Number(r.id));
        return api('/api/runs').then(function (runs) { return runs.length ? runs[0].id : null; });
    }
    function runLine(run) {
        var s = 'run ' + run.id + (run.label ? ' (' + run.label + ')' : '') + ': ' + run.command +
            ', started ' + run.started + (run.ended ? ', ended ' + run.ended : '') + ' (' + run.status + ')';
        return s;
    }

    /* ------------------------------------------------------------ live run */

    function pageLive(r, v) {
        pickRun(r).then(function (id) {
            if (v !== view) return;
            if (id === null) { main.appendChild(el('p', {'class': 'note', text: 'no run in the database yet'})); return; }
            Promise.all([api('/api/run', [['id', id]]), api('/api/events', [['run', id]])]).then(function (a) {
                if (v !== view) return;
                if (!Array.isArray(a[0].cells)) { /* a command's run: rows, no plan to follow */
                    add(main, [el('h2', {text: 'Run ' + id}), el('p', {'class': 'note', text: runLine(a[0].run || {id: id})}),
                        el('p', {'class': 'note'}, ['not a suite run: nothing to follow; its rows are in ',
                            el('a', {href: '#/results/' + id, text: 'Results'})])]);
                    return;
                }
                var lv = new Live(id, a[0]);
                a[1].forEach(function (e) { lv.apply(e); });
                lv.draw();
                lv.follow(v);
            }, function (e) { failView(main, e); });
        }, function (e) { failView(main, e); });
    }

    function Live(id, info) {
        this.id = id;
        this.info = info;
        this.lastId = 0;
        this.cells = [];
        this.done = 0;
        this.failed = 0;
        this.of = info.progress ? info.progress.cells : 0;
        this.eta = info.progress ? info.progress.eta_s : null;
        this.elapsed = info.progress ? info.progress.elapsed_s : null;
        this.cur = -1;
        this.prog = null;
        this.answers = [];
        this.answerAt = {};
        this.nAnswers = {};
        this.log = [];
        this.finished = info.run && info.run.status !== 'running';
        this.ttft = null;
        var self = this;
        (info.cells || []).forEach(function (c) {
            self.cells[c.idx] = {idx: c.idx, model: c.model, test: c.test, group: c.group,
                status: c.status === 'missing' ? 'pending' : c.status, reason: c.reason || '',
                duration: c.duration_s, figures: null, rows: c.rows || [], fresh: false};
        });
        this.build();
    }
    Live.prototype.cell = function (i) {
        if (!this.cells[i]) this.cells[i] = {idx: i, model: '', test: '', status: 'pending', reason: '', rows: []};
        return this.cells[i];
    };
    /* the run's clock as of an event (time: its unix seconds); draw() runs it on */
    Live.prototype.clock = function (p, time) {
        if (p && 'eta_s' in p) this.eta = p.eta_s;
        if (p && isNum(p.elapsed_s)) this.elapsed = p.elapsed_s;
        if (isNum(time)) this.clockAt = time;
    };
    /* one event of store_events into the state (replayed or streamed alike) */
    Live.prototype.apply = function (ev) {
        if (ev.id <= this.lastId) return false;
        this.lastId = ev.id;
        var p = ev.payload || {}, c = ev.cell, self = this;
        var clock = function (q) { self.clock(q, ev.time); };
        switch (ev.kind) {
        case 'run_started':
            this.of = p.to_run || p.cells || this.of;
            this.finished = false;
            break;
        case 'cell_started':
            this.cur = c;
            this.prog = null;
            var cs = this.cell(c);
            cs.status = 'running';
            if (p.model) cs.model = p.model;
            if (p.test) cs.test = p.test;
            if (isNum(p.of)) this.of = p.of;
            clock(p);
            break;
        case 'cell_progress':
            this.prog = p;
            break;
        case 'tokens':
            var k = c + ':' + p.item, a = this.answerAt[k];
            if (!a) {
                a = {cell: c, item: p.item, id: '', text: '', n: 0, grade: null, status: '', ttft: null};
                this.answerAt[k] = a;
                this.answers.push(a);
            }
            a.text += p.text || '';
            a.n = p.n;
            break;
        case 'answer':
            var item = this.nAnswers[c] || 0;
            this.nAnswers[c] = item + 1;
            var ka = c + ':' + item, b = this.answerAt[ka];
            if (!b) {
                b = {cell: c, item: item, id: '', text: '', n: 0};
                this.answerAt[ka] = b;
                this.answers.push(b);
            }
            b.id = p.id || '';
            b.grade = p.grade;
            b.status = p.status;
            b.ttft = p.ttft_ms;
            if (isNum(p.ttft_ms)) this.ttft = {v: p.ttft_ms, cell: c};
            break;
        case 'log':
            this.log.push({id: ev.id, text: [p.cell, baseName(p.model), p.test, p.text].filter(Boolean).join('  '),
                bad: / (crashed|error|timeout|oom|failed)\b/.test(p.text || '')});
            clock(p);
            break;
        case 'cell_finished':
        case 'cell_failed':
        case 'cell_interrupted':
            var f = this.cell(c);
            f.status = ev.kind === 'cell_interrupted' ? 'interrupted' : p.status || 'ok';
            f.reason = p.reason || '';
            f.duration = p.duration_s;
            f.figures = p.figures || null;
            f.fresh = true;
            this.done++;
            if (ev.kind !== 'cell_finished') {
                this.failed++;
                this.log.push({id: ev.id, text: 'cell ' + (c + 1) + ' ' + baseName(f.model) + ' ' + f.test + ': ' +
                    f.status + (f.reason ? ': ' + f.reason : ''), bad: true});
            }
            if (this.cur === c) { this.cur = -1; this.prog = null; }
            clock(p);
            break;
        case 'run_finished':
            this.finished = true;
            this.cur = -1;
            this.eta = 0;
            if (isNum(p.duration_s)) this.elapsed = p.duration_s;
            break;
        }
        void self;
        return true;
    };
    /* the page's fixed frame; draw() fills it */
    Live.prototype.build = function () {
        var run = this.info.run || {id: this.id};
        this.n = {};
        var n = this.n;
        add(main, [
            el('h2', {text: 'Live run ' + this.id + (run.label ? ' (' + run.label + ')' : '') +
                (this.info.suite && this.info.suite.name ? ': ' + this.info.suite.name : '')}),
            n.status = el('p', {'class': 'note', id: 'qb-live-status'}),
            n.bar = el('div', {'class': 'bar'}, n.fill = el('div', {id: 'qb-progress-fill'})),
            n.prog = el('p', {id: 'qb-progress'}),
            n.cur = el('p', {id: 'qb-current'}),
            n.cards = el('div', {'class': 'cards', id: 'qb-cards'}),
            el('h3', {text: 'Cells'}),
            el('div', {'class': 'wrap'}, n.table = el('table', {id: 'qb-cells'})),
            el('h3', {text: 'Answers'}),
            n.answers = el('div', {id: 'qb-answers'}),
            el('h3', {text: 'Log'}),
            n.log = el('ul', {'class': 'log', id: 'qb-log'})
        ]);
        add(n.table, el('thead', null, el('tr', null, ['#', 'model', 'test', 'status', 'figures', 'duration s', 'reason']
            .map(function (h) { return el('th', {text: h}); }))));
        n.tbody = el('tbody');
        n.table.appendChild(n.tbody);
        n.rows = [];
        n.answerBox = {};
        n.nLog = 0;
    };
    Live.prototype.card = function (k, v, s) {
        return el('div', {'class': 'card', 'data-card': k}, [el('div', {'class': 'k', text: k}),
            el('div', {'class': 'v', text: v}), el('div', {'class': 's', text: s || ''})]);
    };
    Live.prototype.draw = function () {
        var n = this.n, self = this;
        /* done: every cell of the plan that has an end, reused ones included */
        var done = 0, bad = 0;
        this.cells.forEach(function (c) {
            if (!c || c.status === 'pending' || c.status === 'running') return;
            done++;
            if (c.status !== 'ok') bad++;
        });
        this.failed = bad;
        var total = Math.max(this.cells.length, this.of || 0);
        n.status.textContent = this.finished ? 'finished: ' + done + ' of ' + total + ' cells done, ' +
            this.failed + ' not ok' : 'running';
        n.fill.style.width = (total ? Math.min(100, 100 * done / total) : 0).toFixed(1) + '%';
        /* while it runs the clock goes on from the last event's */
        var since = !this.finished && isNum(this.clockAt) ? Math.max(0, Date.now() / 1000 - this.clockAt) : 0;
        var eta = isNum(this.eta) ? Math.max(0, this.eta - since) : null;
        n.prog.textContent = done + '/' + total + ' cells' + (this.failed ? ' (' + this.failed + ' not ok)' : '') +
            '  ·  elapsed ' + dur(isNum(this.elapsed) ? this.elapsed + since : null) + '  ·  ETA ' +
            (this.finished ? 'done' : eta === null ? 'not known yet' : dur(eta));
        var cur = this.cur >= 0 ? this.cells[this.cur] : null;
        n.cur.textContent = cur ? 'now: ' + baseName(cur.model) + ' · ' + cur.test +
            (this.prog ? ' · ' + this.prog.done + '/' + this.prog.total + ' ' + this.prog.unit : '') :
            (this.finished ? 'no cell running' : 'waiting for the next cell');
        /* metric cards: the latest figures of finished cells, rows for what events lack */
        var ts = null, mem = null, load = null, ttft = this.ttft ? {v: this.ttft.v, s: this.ttft.cell} : null;
        this.cells.forEach(function (c) {
            if (!c || c.status !== 'ok') return;
            var f = c.figures || {};
            Object.keys(f).forEach(function (k) {
                if (/t\/s$/.test(k) && isNum(f[k])) ts = {v: f[k], k: k, c: c};
                if (/RSS MiB$/.test(k) && isNum(f[k]) && !(mem && mem.v >= f[k])) mem = {v: f[k], c: c};
            });
            (c.rows || []).forEach(function (rr) {
                var row = rr.row || {};
                if (pos(row.rss_peak_bytes) && !(mem && mem.v >= row.rss_peak_bytes / 1048576))
                    mem = {v: row.rss_peak_bytes / 1048576, c: c};
                if (pos(row.load_ns)) load = {v: row.load_ns / 1e9, c: c};
                if (rr.kind === 'bench' && pos(row.ttft_ns)) ttft = {v: row.ttft_ns / 1e6, s: c.idx};
            });
        });
        function sub(c) { return c ? baseName(c.model) + ' · ' + c.test : ''; }
        clear(n.cards);
        add(n.cards, [
            this.card('t/s', ts ? fix(ts.v, 1) : '-', ts ? ts.k + ' · ' + sub(ts.c) : ''),
            this.card('TTFT ms', ttft ? fix(ttft.v, 1) : '-', ttft && this.cells[ttft.s] ? sub(this.cells[ttft.s]) : ''),
            this.card('peak memory MiB', mem ? fix(mem.v, 1) : '-', mem ? sub(mem.c) : ''),
            this.card('load s', load ? fix(load.v, 2) : '-', load ? sub(load.c) : '')
        ]);
        /* the cells: one row each, updated in place */
        this.cells.forEach(function (c, i) {
            if (!c) return;
            var tr = n.rows[i];
            if (!tr) {
                tr = n.rows[i] = el('tr', {'data-idx': i});
                var at = null;
                for (var j = i + 1; j < n.rows.length && !at; j++) at = n.rows[j] || null;
                n.tbody.insertBefore(tr, at);
            }
            var f = c.figures ? Object.keys(c.figures).map(function (k) {
                var x = c.figures[k];
                /* 4 significant digits below 100 (a KLD of 0.0004 is not 0.00) */
                return k + ' ' + (isNum(x) ? (Math.abs(x) >= 100 ? fix(x, 2) : String(Number(x.toPrecision(4)))) : valueText(x));
            }).join(', ') : '';
            var cellText = [String(i + 1), baseName(c.model), c.test, c.status, f, isNum(c.duration) ? fix(c.duration, 2) : '', c.reason];
            var cls = c.status === 'running' ? 'running' : (c.status === 'ok' || c.status === 'pending') ? null : 'failed';
            if (tr.getAttribute('class') !== cls) { if (cls) tr.setAttribute('class', cls); else tr.removeAttribute('class'); }
            tr.setAttribute('data-status', c.status);
            if (tr.childNodes.length !== cellText.length) {
                clear(tr);
                cellText.forEach(function (t, k) { tr.appendChild(el('td', {'class': k === 0 || k === 5 ? 'num' : null})); });
            }
            cellText.forEach(function (t, k) { if (tr.childNodes[k].textContent !== t) tr.childNodes[k].textContent = t; });
        });
        /* answers: a box each, its text growing as tokens arrive */
        this.answers.forEach(function (a) {
            var k = a.cell + ':' + a.item, b = n.answerBox[k];
            if (!b) {
                b = n.answerBox[k] = {box: el('div', {'class': 'answer-box', 'data-answer': k})};
                var c = self.cells[a.cell] || {};
                add(b.box, [b.h = el('div', {'class': 'h'}), b.pre = el('pre', {'class': 'answer'})]);
                b.model = baseName(c.model) + ' · ' + (c.test || '');
                n.answers.insertBefore(b.box, n.answers.firstChild);
            }
            var head = b.model + ' · #' + (a.item + 1) + (a.id ? ' ' + a.id : '') + ' · ' + a.n + ' tokens';
            if (b.h.textContent.indexOf(head) !== 0 || (a.grade && !b.g)) {
                clear(b.h);
                add(b.h, head);
                if (a.grade) {
                    b.g = true;
                    add(b.h, [' · ', el('span', {'class': 'grade-' + a.grade, text: a.grade})]);
                    if (isNum(a.ttft)) add(b.h, ' · TTFT ' + fix(a.ttft, 1) + ' ms');
                }
            }
            if (b.pre.textContent !== a.text) b.pre.textContent = a.text;
        });
        /* the log tail: appended, the newest 300 kept */
        for (; n.nLog < this.log.length; n.nLog++) {
            var l = this.log[n.nLog];
            n.log.appendChild(el('li', {'class': l.bad ? 'failed' : null, 'data-id': l.id, text: l.text}));
            while (n.log.childNodes.length > 300) n.log.removeChild(n.log.firstChild);
            n.log.scrollTop = n.log.scrollHeight;
        }
    };
    /* the stream from the last event replayed: nothing between the two is lost */
    Live.prototype.follow = function (v) {
        if (!LIVE || this.finished) return;
        var self = this, pending = false, inFlight = false, again = false;
        /* the rows of finished cells (load time, TTFT, memory), asked for at once: a server
         * that `run --serve` started stops soon after the run's last event */
        function refreshRows() {
            if (inFlight) { again = true; return; }
            inFlight = true;
            api('/api/run', [['id', self.id]]).then(function (info) {
                if (v !== view) return;
                (info.cells || []).forEach(function (c) { if (self.cells[c.idx]) self.cells[c.idx].rows = c.rows || []; });
                self.draw();
            }, function () {}).then(function () {
                inFlight = false;
                if (again) { again = false; refreshRows(); }
            });
        }
        stream = new EventSource('/api/stream?run=' + this.id + '&after=' + this.lastId);
        var tick = setInterval(function () {
            if (v !== view || self.finished) { clearInterval(tick); if (v === view) self.draw(); return; }
            self.draw();
        }, 1000);
        stream.onmessage = function (m) {
            if (v !== view) return;
            var ev;
            try { ev = JSON.parse(m.data); } catch (e) { return; }
            if (!self.apply(ev)) return;
            if (/^cell_(finished|failed)$/.test(ev.kind)) refreshRows();
            if (ev.kind === 'run_finished' && stream) { stream.close(); stream = null; }
            if (!pending) {
                pending = true;
                requestAnimationFrame(function () { pending = false; if (v === view) self.draw(); });
            }
        };
    };

    /* ------------------------------------------------------------ results */

    function pageResults(r, v) {
        var box = el('div');
        main.appendChild(box);
        api('/api/runs').then(function (runs) {
            if (v !== view) return;
            var ids;
            if (r.id) ids = [Number(r.id)];
            else if (STATIC) ids = runs.filter(function (x) { return has('/api/run', [['id', x.id]]) || has('/api/rows', [['run', x.id]]); })
                .map(function (x) { return x.id; }).reverse();
            else ids = runs.length ? [runs[0].id] : [];
            if (!ids.length) { add(box, el('p', {'class': 'note', text: 'no run in the database yet'})); return; }
            var byId = {};
            runs.forEach(function (x) { byId[x.id] = x; });
            ids.forEach(function (id) {
                var sec = el('section', {'class': 'run', 'data-run': id});
                box.appendChild(sec);
                runResults(sec, id, byId[id], v);
            });
            if (!r.id && LIVE && runs.length > 1)
                add(box, el('p', {'class': 'note'}, ['older runs: see ', el('a', {href: '#/history', text: 'History'})]));
        }, function (e) { failView(box, e); });
    }

    function runResults(sec, id, run, v) {
        var fromRun = has('/api/run', [['id', id]]) ? api('/api/run', [['id', id]]) : Promise.resolve(null);
        fromRun.then(function (info) {
            if (v !== view) return;
            run = (info && info.run) || run || {id: id, command: '?', started: '?', status: '?'};
            var suite = info && info.suite;
            add(sec, el('h2', {text: (suite && suite.name ? 'Suite ' + suite.name + ', ' : '') + 'run ' + id}));
            add(sec, el('p', {'class': 'note run-line', text: runLine(run)}));
            add(sec, el('p', {'class': 'note'}, [el('a', {href: '#/charts/' + id, text: 'charts of this run'})]));
            if (info && Array.isArray(info.cells)) {
                suiteResults(sec, info.cells, info.table || [], info.table_text || {heads: [], rows: []});
                return;
            }
            api('/api/rows', [['run', id]]).then(function (rows) {
                if (v !== view) return;
                rowsTable(sec, rows);
            }, function (e) { failView(sec, e); });
        }, function (e) { failView(sec, e); });
    }

    /* the suite's table to share (the server's: suite_table.h, as `report --suite` prints
     * it), then each group's cells with their answers */
    function suiteResults(sec, cells, table, text) {
        var groups = table.map(function (o) {
            o.cells = cells.filter(function (c) { return c.group === o.group; });
            o.failed = o.failed || [];
            return o;
        });
        var t = el('table', {'class': 'suite'});
        add(t, el('thead', null, el('tr', null, text.heads.map(function (h) { return el('th', {text: h}); }))));
        var tb = el('tbody');
        groups.forEach(function (o, i) {
            add(tb, el('tr', {'class': o.failed.length ? 'failed' : null}, (text.rows[i] || []).map(function (s, k) {
                return el('td', {'class': k >= 2 && k < 14 ? 'num' : null, text: s});
            })));
        });
        t.appendChild(tb);
        add(sec, el('div', {'class': 'wrap'}, t));
        add(sec, el('p', {'class': 'note', text: 't/s: the mean ± the half-width of its 95% interval over the repetitions; ' +
            'load: the first read of the file (cold) / later loads (warm); - : not measured'}));
        add(sec, el('h3', {text: 'Every test and answer'}));
        groups.forEach(function (o) {
            var nbad = o.failed.length;
            var d = el('details', {'class': 'group', open: nbad > 0});
            add(d, el('summary', {text: o.model + (settingsText(o.settings) ? ' ' + settingsText(o.settings) : '') + ': ' +
                o.cells.length + ' cells, ' + (nbad ? nbad + ' not ok' : 'all ok')}));
            var ct = el('table', {'class': 'cells'});
            add(ct, el('tr', null, ['test', 'status', 'reason', 'duration s', 'result'].map(function (h) { return el('th', {text: h}); })));
            o.cells.forEach(function (c) {
                add(ct, el('tr', {'class': c.status === 'ok' ? null : 'failed'}, [c.test, c.status, c.reason || '',
                    isNum(c.duration_s) ? fix(c.duration_s) : '-', cellResult(c)].map(function (s, k) {
                    return el('td', {'class': k === 3 ? 'num' : null, text: s});
                })));
            });
            add(d, el('div', {'class': 'wrap'}, ct));
            o.cells.forEach(function (c) {
                var answers = (c.rows || []).filter(function (x) { return x.kind === 'prompts'; });
                if (!answers.length) return;
                add(d, el('h3', {text: c.test + ': ' + answers.length + ' answers'}));
                answers.forEach(function (x) {
                    var a = x.row || {};
                    add(d, el('div', {'class': 'answer-box'}, [
                        el('div', {'class': 'h'}, [(a.id || '') + ' · ' + (a.category || '') + ' · ',
                            el('span', {'class': 'grade-' + (a.grade || 'none'), text: a.grade || 'not graded'}),
                            a.grade_detail ? ' · ' + a.grade_detail : '',
                            isNum(a.ttft_ms) ? ' · TTFT ' + fix(a.ttft_ms, 1) + ' ms' : '',
                            isNum(a.gen_tps) ? ' · ' + fix(a.gen_tps, 1) + ' t/s' : '']),
                        el('div', {'class': 'h', text: 'prompt: ' + (a.prompt || '')}),
                        el('pre', {'class': 'answer', text: a.text || ''})]));
                });
            });
            add(sec, d);
        });
    }

    /* a cell's figure in one line, from its rows */
    function cellResult(c) {
        var out = [];
        (c.rows || []).forEach(function (x) {
            var row = x.row || {};
            if (row.status && row.status !== 'ok') return; /* a failed row measured nothing */
            if (x.kind === 'bench' && isNum(row.avg_ts)) out.push(pm(row.avg_ts, row.stddev_ts) + ' t/s');
            else if (x.kind === 'quality' && isNum(row.ppl)) out.push('PPL ' + pm(row.ppl, row.ppl_err) +
                (row.kld && isNum(row.kld.kld) ? ', KLD ' + fix(row.kld.kld, 6) : ''));
            else if (x.kind === 'mem' && pos(row.rss_peak_bytes)) out.push('peak ' + fix(row.rss_peak_bytes / 1048576) + ' MiB');
        });
        var sw = (c.rows || []).filter(function (x) { return x.kind === 'sweep' || x.kind === 'batched'; }).length;
        if (sw) out.push(sw + ' ' + c.rows[0].kind + ' rows');
        var pr = (c.rows || []).filter(function (x) { return x.kind === 'prompts'; });
        if (pr.length) out.push(pr.filter(function (x) { return x.row && x.row.grade === 'pass'; }).length + '/' + pr.length + ' pass');
        return out.slice(0, 3).join('; ');
    }

    /* a row's result as report's md shows it: mean ± sd and its metric */
    function rowResult(r) {
        var row = r.row || {};
        switch (r.kind) {
        case 'bench': return pm(row.avg_ts, row.stddev_ts) + ' t/s';
        case 'sweep': return 'pp ' + fix(row.speed_pp) + ', tg ' + fix(row.speed_tg) + ' t/s';
        case 'batched': return 'pp ' + fix(row.speed_pp) + ', tg ' + fix(row.speed_tg) + ', all ' + fix(row.speed) + ' t/s';
        case 'quality': return 'PPL ' + pm(row.ppl, row.ppl_err) + (row.kld && isNum(row.kld.kld) ? ', KLD ' + fix(row.kld.kld, 6) : '');
        case 'mem': return pos(row.total_bytes) ? fix(row.total_bytes / 1048576) + ' MiB estimated' +
            (row.measured && pos(row.measured.rss_peak) ? ', ' + fix(row.measured.rss_peak / 1048576) + ' MiB peak' : '') : '';
        case 'prompts': return (row.grade || '') + ', TTFT ' + fix(row.ttft_ms, 1) + ' ms, ' + fix(row.gen_tps, 1) + ' t/s';
        default: return '';
        }
    }
    function rowsTable(sec, rows) {
        if (!rows.length) { add(sec, el('p', {'class': 'note', text: 'no rows'})); return; }
        /* the settings columns: those that differ between the rows */
        var keys = [];
        rows.forEach(function (r) { Object.keys(r.settings || {}).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); }); });
        keys = keys.filter(function (k) {
            var first = JSON.stringify((rows[0].settings || {})[k]);
            return rows.some(function (r) { return JSON.stringify((r.settings || {})[k]) !== first; });
        });
        var t = el('table', {'class': 'rows'});
        add(t, el('thead', null, el('tr', null, ['id', 'kind', 'model', 'test'].concat(keys, ['result', 'status'])
            .map(function (h) { return el('th', {text: h}); }))));
        var tb = el('tbody');
        rows.forEach(function (r) {
            var cells = [String(r.id), r.kind, rowModel(r), r.test || ''].concat(
                keys.map(function (k) { return valueText((r.settings || {})[k]); }), [rowResult(r), r.status]);
            add(tb, el('tr', {'class': r.status === 'ok' ? null : 'failed'}, cells.map(function (s) { return el('td', {text: s}); })));
        });
        t.appendChild(tb);
        add(sec, el('div', {'class': 'wrap'}, t));
        var pr = rows.filter(function (r) { return r.kind === 'prompts'; });
        if (pr.length) {
            var d = el('details', {'class': 'answers'});
            add(d, el('summary', {text: pr.length + ' answers'}));
            pr.forEach(function (r) {
                var a = r.row || {};
                add(d, el('div', {'class': 'answer-box'}, [
                    el('div', {'class': 'h'}, [rowModel(r) + ' · ' + (a.id || '') + ' · ',
                        el('span', {'class': 'grade-' + (a.grade || 'none'), text: a.grade || 'not graded'})]),
                    el('pre', {'class': 'answer', text: a.text || ''})]));
            });
            add(sec, d);
        }
    }

    /* ------------------------------------------------------------ charts */

    /* distinct colours for any number of series: hues a golden angle apart, the
     * lightness stepping so that hues that come round again still differ */
    function colour(i) {
        var h = (i * 137.508 + 210) % 360, l = [42, 58, 34, 50][Math.floor(i / 5) % 4];
        return 'hsl(' + h.toFixed(1) + ', 70%, ' + l + '%)';
    }
    /* tick labels of an axis with step-sized decimals: never "-5.55e-17" */
    function tickText(splits) {
        var step = splits.length > 1 ? Math.abs(splits[1] - splits[0]) : Math.abs(splits[0]) || 1;
        /* as many decimals as the step has (0.00025: 5), so two ticks never read alike */
        var st = String(Number(step.toPrecision(6)));
        var dec = /e/.test(st) ? Math.max(0, Math.min(8, -Math.floor(Math.log10(step) + 1e-9))) :
            st.indexOf('.') >= 0 ? Math.min(8, st.split('.')[1].length) : 0;
        return splits.map(function (v) {
            var s = Math.abs(v) < step * 1e-6 ? 0 : v;
            var t = s.toFixed(dec);
            return /^-0(\.0*)?$/.test(t) ? t.slice(1) : t;
        });
    }
    /* the label of each series: only the settings that vary between the chart's series */
    function labels(keys) {
        var fields = [];
        keys.forEach(function (k) { Object.keys(k).forEach(function (f) { if (fields.indexOf(f) < 0) fields.push(f); }); });
        var vary = fields.filter(function (f) {
            return keys.some(function (k) { return String(k[f]) !== String(keys[0][f]); });
        });
        if (!vary.length) vary = fields.indexOf('model') >= 0 ? ['model'] : fields.slice(0, 1);
        return keys.map(function (k) {
            return vary.map(function (f) { return f === 'model' || f === 'test' || f === 'metric' ? String(k[f]) : f + '=' + k[f]; }).join(' ');
        });
    }
    /* series of points from rows: key(r) an object naming the series, x(r), y(r), e(r) */
    function collect(rows, key, x, y, e) {
        var map = {}, order = [];
        rows.forEach(function (r) {
            var k = key(r);
            if (!k) return;
            var xv = x(r), yv = y(r);
            if (!isNum(xv) || !isNum(yv)) return;
            var id = JSON.stringify(k);
            if (!map[id]) { map[id] = {key: k, pts: []}; order.push(id); }
            map[id].pts.push([xv, yv, e ? e(r) : null]);
        });
        return order.map(function (id) { return map[id]; });
    }
    function legendBox(names) {
        return el('div', {'class': 'legend'}, names.map(function (n, i) {
            return el('span', {'class': 'item'}, [el('i', {style: null, 'data-c': i}), n]);
        }));
    }
    function paintLegend(lg) {
        Array.prototype.forEach.call(lg.querySelectorAll('i[data-c]'), function (i) {
            i.style.background = colour(Number(i.getAttribute('data-c')));
        });
    }
    function chartBox(parent, title, kind, wide) {
        var b = el('div', {'class': wide ? 'chart wide' : 'chart', 'data-chart': kind}, el('div', {'class': 't', text: title}));
        parent.appendChild(b);
        return b;
    }
    /* one value of x only: a table, not a chart */
    function pointsTable(parent, title, kind, xName, yName, series) {
        var b = el('div', {'class': 'chart-table', 'data-chart': kind}, el('div', {'class': 't', text: title + ' (one ' + xName.replace(/ \(.*\)$/, '') + ': a table)'}));
        var names = labels(series.map(function (s) { return s.key; }));
        var t = el('table', {'class': 'points'});
        add(t, el('tr', null, ['series', xName, yName].map(function (h) { return el('th', {text: h}); })));
        series.forEach(function (s, i) {
            s.pts.forEach(function (p) {
                add(t, el('tr', null, [names[i], tickText([p[0]])[0], pm(p[1], p[2])].map(function (x, k) {
                    return el('td', {'class': k ? 'num' : null, text: x});
                })));
            });
        });
        add(b, el('div', {'class': 'wrap'}, t));
        parent.appendChild(b);
    }
    /* a line chart of series (each {key, pts: [[x, y, err]]}) with error bars clamped at 0;
     * xInt: an integer axis (ticks at integers only); points: no lines, markers only */
    function lineChart(parent, o) {
        var series = o.series.filter(function (s) { return s.pts.length; });
        if (!series.length) return;
        var xs = [];
        series.forEach(function (s) { s.pts.forEach(function (p) { if (xs.indexOf(p[0]) < 0) xs.push(p[0]); }); });
        xs.sort(function (a, b) { return a - b; });
        if (xs.length < 2 && !o.always) { pointsTable(parent, o.title, o.kind, o.xLabel, o.yLabel, series); return; }
        var box = chartBox(parent, o.title, o.kind);
        var width = Math.max(300, (box.clientWidth || 900) - 18);
        var names = o.names || labels(series.map(function (s) { return s.key; }));
        var data = [xs], errs = [], ymax = 0, ymin = Infinity;
        series.forEach(function (s) {
            var ys = xs.map(function () { return null; }), es = xs.map(function () { return null; });
            s.pts.forEach(function (p) {
                var i = xs.indexOf(p[0]);
                ys[i] = p[1];
                es[i] = p[2];
                ymax = Math.max(ymax, p[1] + (isNum(p[2]) ? p[2] : 0));
                ymin = Math.min(ymin, p[1]);
            });
            data.push(ys);
            errs.push(es);
        });
        box.setAttribute('data-xint', o.xInt ? '1' : '0');
        box.setAttribute('data-series', String(series.length));
        var xr = xs[xs.length - 1] - xs[0], pad = xr * 0.04 || 1;
        var xaxis = {label: o.xLabel, stroke: '#1d2330', grid: {stroke: '#eceff4'}, space: 60,
            values: function (u, splits) {
                var t = o.xInt ? splits.map(function (v) { return String(Math.round(v)); }) : tickText(splits);
                box.setAttribute('data-xticks', t.join(' '));
                return t;
            }};
        if (o.xInt) {
            if (xs.length <= 12) xaxis.splits = function () { return xs.slice(); };
            else xaxis.incrs = [1, 2, 5, 10, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];
        }
        var logY = o.logY && ymin > 0;
        var opts = {
            width: width, height: o.height || 300, legend: {show: false},
            cursor: {drag: {x: false, y: false}},
            scales: {
                x: {time: false, range: function () { return [xs[0] - pad, xs[xs.length - 1] + pad]; }},
                y: logY ? {distr: 3} : {range: function (u, mn, mx) { return [o.yFrom0 === false ? mn - (mx - mn) * 0.05 : 0, (ymax || mx || 1) * 1.08]; }}
            },
            axes: [xaxis, {label: o.yLabel, stroke: '#1d2330', grid: {stroke: '#eceff4'}, size: 70,
                values: function (u, splits) {
                    var t = logY ? splits.map(function (v) { return isNum(v) ? String(Number(v.toPrecision(3))) : ''; }) :
                        tickText(splits);
                    box.setAttribute('data-yticks', t.join(' '));
                    return t;
                }}],
            series: [{label: o.xLabel}].concat(series.map(function (s, i) {
                var c = colour(i);
                var def = {label: names[i], stroke: c, width: 2, spanGaps: true,
                    points: {show: true, size: 7, stroke: c, fill: c}};
                if (o.points && !(o.lineFor && o.lineFor(i))) def.paths = function () { return null; };
                return def;
            })),
            hooks: {draw: [function (u) {
                var ctx = u.ctx;
                ctx.save();
                ctx.lineWidth = Math.max(1, devicePixelRatio || 1);
                errs.forEach(function (es, si) {
                    ctx.strokeStyle = colour(si);
                    es.forEach(function (e, i) {
                        var y = data[si + 1][i];
                        if (!isNum(e) || !isNum(y) || e <= 0) return;
                        var cx = u.valToPos(xs[i], 'x', true);
                        var lo = Math.max(logY ? y * 0.001 : 0, y - e);
                        var y0 = u.valToPos(lo, 'y', true), y1 = u.valToPos(y + e, 'y', true);
                        var w = 4 * (devicePixelRatio || 1);
                        ctx.beginPath();
                        ctx.moveTo(cx, y0); ctx.lineTo(cx, y1);
                        ctx.moveTo(cx - w, y0); ctx.lineTo(cx + w, y0);
                        ctx.moveTo(cx - w, y1); ctx.lineTo(cx + w, y1);
                        ctx.stroke();
                    });
                });
                ctx.restore();
            }]}
        };
        var holder = el('div');
        box.appendChild(holder);
        new uPlot(opts, data, holder); /* eslint-disable-line no-new */
        var lg = legendBox(names);
        box.appendChild(lg);
        paintLegend(lg);
        if (o.after) o.after(box);
    }

    /* text cut in its middle to fit w pixels (both ends tell series apart) */
    function fitText(ctx, s, w) {
        if (ctx.measureText(s).width <= w) return s;
        var a = Math.ceil(s.length / 2), b = a;
        while (a > 1 && ctx.measureText(s.slice(0, a) + '…' + s.slice(b)).width > w) { a--; b++; }
        return s.slice(0, a) + '…' + s.slice(b);
    }
    /* horizontal bars (stacked parts, optional error whiskers clamped at 0) on a canvas */
    function barChart(parent, o) {
        if (!o.bars.length) return;
        var box = chartBox(parent, o.title, o.kind, true);
        var dpr = window.devicePixelRatio || 1;
        var W = Math.max(300, (box.clientWidth || 900) - 18);
        var labelW = Math.min(360, Math.max(120, W * 0.32)), rowH = 24, top = 8, bottom = 36;
        var H = top + bottom + rowH * o.bars.length;
        var cv = el('canvas', {width: Math.round(W * dpr), height: Math.round(H * dpr)});
        cv.style.width = W + 'px';
        cv.style.height = H + 'px';
        box.appendChild(cv);
        var ctx = cv.getContext('2d');
        ctx.scale(dpr, dpr);
        var max = 0;
        o.bars.forEach(function (b) {
            var s = 0;
            b.parts.forEach(function (p) { s += Math.max(0, p.v); });
            b.total = s;
            max = Math.max(max, s + (isNum(b.err) ? b.err : 0));
        });
        max = max || 1;
        var step = Math.pow(10, Math.floor(Math.log10(max / 5)));
        [1, 2, 5, 10].some(function (m) { if (max / (step * m) <= 6) { step *= m; return true; } return false; });
        var x0 = labelW + 8, x1 = W - 16, sx = function (v) { return x0 + (x1 - x0) * v / (Math.ceil(max / step) * step); };
        ctx.font = '12px system-ui, sans-serif';
        ctx.textBaseline = 'middle';
        var ticks = [];
        for (var t = 0; t <= Math.ceil(max / step) * step + step * 1e-9; t += step) ticks.push(t);
        var tt = tickText(ticks);
        box.setAttribute('data-xticks', tt.join(' '));
        ticks.forEach(function (t, i) {
            ctx.strokeStyle = '#eceff4';
            ctx.beginPath(); ctx.moveTo(sx(t), top); ctx.lineTo(sx(t), H - bottom); ctx.stroke();
            ctx.fillStyle = '#1d2330';
            ctx.textAlign = 'center';
            ctx.fillText(tt[i], sx(t), H - bottom + 12);
        });
        ctx.fillText(o.unit, (x0 + x1) / 2, H - 10);
        o.bars.forEach(function (b, i) {
            var y = top + i * rowH;
            ctx.fillStyle = '#1d2330';
            ctx.textAlign = 'right';
            var lab = fitText(ctx, b.label, labelW);
            ctx.fillText(lab, labelW, y + rowH / 2);
            var at = 0;
            b.parts.forEach(function (p) {
                var v = Math.max(0, p.v);
                ctx.fillStyle = colour(o.partNames.indexOf(p.name));
                ctx.fillRect(sx(at), y + 4, Math.max(v > 0 ? 1 : 0, sx(at + v) - sx(at)), rowH - 8);
                at += v;
            });
            if (isNum(b.err) && b.err > 0) {
                var lo = Math.max(0, b.total - b.err), hi = b.total + b.err;
                ctx.strokeStyle = '#1d2330';
                ctx.beginPath();
                ctx.moveTo(sx(lo), y + rowH / 2); ctx.lineTo(sx(hi), y + rowH / 2);
                ctx.moveTo(sx(lo), y + 6); ctx.lineTo(sx(lo), y + rowH - 6);
                ctx.moveTo(sx(hi), y + 6); ctx.lineTo(sx(hi), y + rowH - 6);
                ctx.stroke();
            }
        });
        if (o.partNames.length > 1) {
            var lg = legendBox(o.partNames);
            box.appendChild(lg);
            paintLegend(lg);
        }
        box.setAttribute('data-series', String(o.partNames.length));
    }

    var SET_KEYS = ['n_threads', 'n_batch', 'n_ubatch', 'type_k', 'type_v', 'flash_attn', 'n_gpu_layers', 'n_cpu_moe'];
    function setKey(r, extra, skip) {
        var k = {model: rowModel(r)};
        Object.keys(extra || {}).forEach(function (f) { k[f] = extra[f]; });
        SET_KEYS.forEach(function (f) {
            if (f !== skip && r.settings && f in r.settings) k[f] = r.settings[f];
        });
        return k;
    }
    function benchTest(r) {
        var s = r.settings || {};
        if (s.n_prompt > 0 && s.n_gen > 0) return 'pp' + s.n_prompt + '+tg' + s.n_gen;
        if (s.n_prompt > 0) return 'pp' + s.n_prompt;
        if (s.n_gen > 0) return 'tg' + s.n_gen;
        return null;
    }
    /* GiB, or MiB for models all under 1 GiB (ticks of a few digits) */
    function sizeUnit(rs) {
        var big = rs.some(function (r) { return r.row && r.row.model_size >= 1073741824; });
        return big ? {name: 'GiB', bytes: 1073741824} : {name: 'MiB', bytes: 1048576};
    }
    function okRows(rows, kind) {
        return rows.filter(function (r) { return r.kind === kind && r.status === 'ok' && r.row; });
    }

    function drawCharts(box, rows) {
        var bench = okRows(rows, 'bench'), sweep = okRows(rows, 'sweep'), batched = okRows(rows, 'batched');
        var mem = okRows(rows, 'mem'), quality = okRows(rows, 'quality'), prompts = okRows(rows, 'prompts');
        var n0 = box.childNodes.length;
        function kindOf(re) { return function (r) { var t = benchTest(r); return t && re.test(t); }; }
        var benchKinds = [['pp', /^pp\d+$/, 'prompt processing'], ['tg', /^tg\d+$/, 'generation'],
                          ['pg', /\+/, 'prompt + generation']];
        var top = box;
        /* a heading, then its charts side by side */
        function group(title) {
            add(top, el('h2', {text: title}));
            box = el('div', {'class': 'grid'});
            top.appendChild(box);
        }
        if (bench.length) group('Speed against depth, threads and size (bench)');
        benchKinds.forEach(function (bk) {
            var rs = bench.filter(kindOf(bk[1]));
            if (!rs.length) return;
            var depths = {}, threads = {};
            rs.forEach(function (r) { depths[r.settings.n_depth] = 1; threads[r.settings.n_threads] = 1; });
            if (Object.keys(depths).length > 1 || Object.keys(threads).length < 2) {
                lineChart(box, {kind: 'bench-depth-' + bk[0], title: 'bench ' + bk[2] + ': t/s against context depth',
                    xLabel: 'depth (tokens)', yLabel: 't/s', xInt: true,
                    series: collect(rs, function (r) { return setKey(r, {test: benchTest(r)}); },
                        function (r) { return r.settings.n_depth; }, function (r) { return r.row.avg_ts; },
                        function (r) { return r.row.stddev_ts; })});
            }
            if (Object.keys(threads).length > 1) {
                lineChart(box, {kind: 'bench-threads-' + bk[0], title: 'bench ' + bk[2] + ': t/s against threads',
                    xLabel: 'threads', yLabel: 't/s', xInt: true,
                    series: collect(rs, function (r) { return setKey(r, {test: benchTest(r), n_depth: r.settings.n_depth}, 'n_threads'); },
                        function (r) { return r.settings.n_threads; }, function (r) { return r.row.avg_ts; },
                        function (r) { return r.row.stddev_ts; })});
            }
            var sizes = {};
            rs.forEach(function (r) { if (pos(r.row.model_size)) sizes[r.row.model_size] = 1; });
            if (Object.keys(sizes).length > 1) {
                lineChart(box, {kind: 'bench-size-' + bk[0], title: 'bench ' + bk[2] + ': t/s against model size',
                    xLabel: 'model size (' + sizeUnit(rs).name + ')', yLabel: 't/s', xInt: false,
                    series: collect(rs, function (r) {
                        var k = setKey(r, {test: benchTest(r), n_depth: r.settings.n_depth});
                        delete k.model;
                        return k;
                    }, function (r) { return pos(r.row.model_size) ? r.row.model_size / sizeUnit(rs).bytes : null; },
                    function (r) { return r.row.avg_ts; }, function (r) { return r.row.stddev_ts; })});
            }
        });
        if (sweep.length) {
            group('Sweep: speed as the context fills');
            [['speed_pp', 'prompt processing'], ['speed_tg', 'generation']].forEach(function (m) {
                lineChart(box, {kind: 'sweep-' + m[0], title: 'sweep ' + m[1] + ': t/s against context depth',
                    xLabel: 'depth (tokens in the KV cache)', yLabel: 't/s', xInt: true,
                    series: collect(sweep, function (r) { return setKey(r, {pp: r.settings.pp, tg: r.settings.tg}); },
                        function (r) { return r.settings.n_kv; }, function (r) { return r.row[m[0]]; },
                        function (r) { return r.row[m[0] + '_sd']; })});
            });
        }
        if (batched.length) {
            group('Batched: parallel sequences');
            [['speed_pp', 'prompt processing t/s'], ['speed_tg', 'generation t/s'], ['speed', 'total t/s']].forEach(function (m) {
                lineChart(box, {kind: 'batched-' + m[0], title: 'batched ' + m[1] + ' against parallel sequences',
                    xLabel: 'parallel sequences', yLabel: 't/s', xInt: true,
                    series: collect(batched, function (r) {
                        return setKey(r, {pp: r.settings.pp, tg: r.settings.tg, shared: r.settings.is_pp_shared});
                    }, function (r) { return r.settings.pl; }, function (r) { return r.row[m[0]]; },
                    function (r) { return r.row[m[0] + '_sd']; })});
            });
        }
        function grid() { return box; }
        ladder(grid, quality, bench, group, okRows(rows, 'quantize'));
        memory(grid, mem, group);
        ttftChart(grid, bench, prompts, group);
        if (top.childNodes.length === n0) add(top, el('p', {'class': 'note', text: 'no rows to chart'}));
    }

    /* the quant ladder: size against KLD (or PPL), the frontier (no smaller rung is better) */
    function ladder(grid, quality, bench, group, quantize) {
        var pts = [];
        /* quantize's own rows (one per rung, the source too) when there are any */
        quantize.forEach(function (r) {
            var row = r.row;
            if (!pos(row.size_mib)) return;
            pts.push({model: String(row.type || rowModel(r)), size: row.size_mib / 1024,
                kld: isNum(row.kld) ? row.kld : null, ppl: isNum(row.ppl) ? row.ppl : null,
                ppl_err: isNum(row.ppl_sd) ? row.ppl_sd : null, kld_err: null, tg: row.tg_ts});
        });
        if (!pts.length) quality.forEach(function (r) {
            var row = r.row, size = pos(row.model_size);
            var q = row.kld && isNum(row.kld.kld) ? row.kld.kld : null;
            if (!size) return;
            pts.push({model: rowModel(r), size: size / 1073741824, kld: q, ppl: isNum(row.ppl) ? row.ppl : null,
                ppl_err: row.ppl_err, kld_err: row.kld ? row.kld.kld_err : null});
        });
        if (!pts.length) return;
        pts = pts.filter(function (p) { return p.kld !== null || p.ppl !== null; });
        if (!pts.length) return;
        var unit = 'GiB';
        if (pts.every(function (p) { return p.size < 1; })) {
            unit = 'MiB';
            pts.forEach(function (p) { p.size *= 1024; });
        }
        var useKld = pts.every(function (p) { return p.kld !== null; });
        var metric = useKld ? 'kld' : 'ppl';
        pts.sort(function (a, b) { return a.size - b.size || a[metric] - b[metric]; });
        var best = Infinity;
        pts.forEach(function (p) { p.front = false; });
        pts.forEach(function (p) { if (p[metric] < best) { best = p[metric]; p.front = true; } });
        var tg = {};
        pts.forEach(function (p) { if (isNum(p.tg)) tg[p.model] = p.tg; });
        bench.forEach(function (r) { if (/^tg\d+$/.test(benchTest(r) || '') && !tg[rowModel(r)]) tg[rowModel(r)] = r.row.avg_ts; });
        group('Quant ladder');
        var box = grid();
        var front = pts.filter(function (p) { return p.front; });
        lineChart(box, {kind: 'ladder', title: 'quant ladder: ' + (useKld ? 'KLD' : 'PPL') + ' against model size (frontier: no smaller rung is better)',
            xLabel: 'model size (' + unit + ')', yLabel: useKld ? 'KLD' : 'PPL', xInt: false, points: true, yFrom0: false, always: true,
            logY: useKld, names: ['rungs', 'frontier'], lineFor: function (i) { return i === 1; },
            series: [{key: {s: 'rungs'}, pts: pts.map(function (p) { return [p.size, p[metric], useKld ? p.kld_err : p.ppl_err]; })},
                     {key: {s: 'frontier'}, pts: front.map(function (p) { return [p.size, p[metric], null]; })}]});
        var sp = pts.filter(function (p) { return isNum(tg[p.model]); });
        if (sp.length > 1) {
            lineChart(box, {kind: 'ladder-speed', title: 'quant ladder: generation t/s against model size',
                xLabel: 'model size (' + unit + ')', yLabel: 'tg t/s', xInt: false, names: ['rungs'],
                series: [{key: {s: 'rungs'}, pts: sp.map(function (p) { return [p.size, tg[p.model], null]; })}]});
        }
        var t = el('table', {'class': 'ladder'});
        add(t, el('tr', null, ['model', 'size ' + unit, 'KLD', 'PPL', 'tg t/s', 'frontier'].map(function (h) { return el('th', {text: h}); })));
        pts.forEach(function (p) {
            add(t, el('tr', null, [p.model, fix(p.size, 3), fix(p.kld, 6), pm(p.ppl, p.ppl_err), fix(tg[p.model]), p.front ? 'yes' : '']
                .map(function (s, k) { return el('td', {'class': k ? 'num' : null, text: s}); })));
        });
        add(box, el('div', {'class': 'wrap'}, t));
    }

    /* memory: per model, device and buffer type, the measured buffers (else the estimate) */
    function memory(grid, mem, group) {
        var bars = [], partNames = ['weights', 'KV cache', 'compute', 'output'];
        mem.forEach(function (r) {
            var row = r.row, bufs = row.measured && Array.isArray(row.measured.buffers) ? row.measured.buffers :
                row.estimate && Array.isArray(row.estimate.parts) ? row.estimate.parts : [];
            var src = row.measured && Array.isArray(row.measured.buffers) ? 'measured' : 'estimate';
            bufs.forEach(function (b) {
                var mib = function (v) { return isNum(v) ? v / 1048576 : 0; };
                bars.push({label: rowModel(r) + ' ' + (b.dev || '') + ' ' + (b.buft || '') + (src === 'estimate' ? ' (est.)' : ''),
                    parts: [{name: 'weights', v: mib(b.model)}, {name: 'KV cache', v: mib(b.context)},
                            {name: 'compute', v: mib(b.compute)}, {name: 'output', v: mib(b.output)}]});
            });
        });
        if (!bars.length) return;
        group('Memory');
        var box = grid();
        barChart(box, {kind: 'memory', title: 'memory per device and buffer', unit: 'MiB', bars: bars, partNames: partNames});
    }

    /* time to first token: per model, prompts answers and bench pp+tg rows (mean ± sd) */
    function ttftChart(grid, bench, prompts, group) {
        var by = {}, order = [];
        function put(label, v) {
            if (!isNum(v)) return;
            if (!by[label]) { by[label] = []; order.push(label); }
            by[label].push(v);
        }
        prompts.forEach(function (r) { put(rowModel(r) + ' · prompts', r.row.ttft_ms); });
        bench.forEach(function (r) {
            if (/\+/.test(benchTest(r) || '') && pos(r.row.ttft_ns))
                put(rowModel(r) + ' · ' + benchTest(r) + (r.settings.n_depth ? ' @ d' + r.settings.n_depth : '') +
                    ' t=' + r.settings.n_threads, r.row.ttft_ns / 1e6);
        });
        if (!order.length) return;
        group('Time to first token');
        var box = grid();
        barChart(box, {kind: 'ttft', title: 'time to first token (mean ± sd)', unit: 'ms', partNames: ['TTFT'],
            bars: order.map(function (l) {
                var xs = by[l];
                return {label: l, parts: [{name: 'TTFT', v: mean(xs)}], err: xs.length > 1 ? sd(xs) : null};
            })});
    }

    function pageCharts(r, v) {
        var box = el('div', {id: 'qb-charts'});
        main.appendChild(box);
        var ids = r.id ? Promise.resolve([Number(r.id)]) : api('/api/runs').then(function (runs) {
            var w = runsWithRows(runs);
            if (LIVE && w.length) w = [w[0]];
            return w.map(function (x) { return x.id; });
        });
        ids.then(function (list) {
            if (v !== view) return;
            if (!list.length) { add(box, el('p', {'class': 'note', text: 'no rows to chart'})); return; }
            add(box, el('p', {'class': 'note', text: 'rows of run' + (list.length > 1 ? 's ' : ' ') + list.join(', ') +
                (LIVE && !r.id ? ' (the newest with rows; History picks others)' : '')}));
            return allRows(list).then(function (rows) {
                if (v !== view) return;
                drawCharts(box, rows);
            });
        }).catch(function (e) { failView(box, e); });
    }

    /* ------------------------------------------------------------ history and compare */

    function pageHistory(r, v) {
        var box = el('div');
        main.appendChild(box);
        api('/api/runs').then(function (runs) {
            if (v !== view) return;
            add(box, el('h2', {text: 'Runs'}));
            function opts(f) {
                var vals = [];
                runs.forEach(function (x) { var s = x[f] === null || x[f] === undefined ? '' : String(x[f]); if (vals.indexOf(s) < 0) vals.push(s); });
                return [el('option', {value: '*', text: 'any ' + f})].concat(vals.sort().map(function (s) { return el('option', {value: s, text: s || '(none)'}); }));
            }
            var fl = el('select', {id: 'f-label'}, opts('label')), fc = el('select', {id: 'f-command'}, opts('command'));
            var fs = el('select', {id: 'f-status'}, opts('status')), ft = el('input', {id: 'f-text', type: 'search', placeholder: 'text'});
            var sa = el('input', {id: 'sel-a', size: 14, placeholder: 'A: run, label, filter'});
            var sb = el('input', {id: 'sel-b', size: 14, placeholder: 'B'});
            var go = el('button', {id: 'go-compare', text: 'compare A and B', onclick: function () {
                if (sa.value && sb.value) location.hash = '#/compare?a=' + encodeURIComponent(sa.value) + '&b=' + encodeURIComponent(sb.value);
            }});
            add(box, el('div', {'class': 'filters'}, [fl, fc, fs, ft]));
            add(box, el('div', {'class': 'filters'}, ['pick two runs (A, B) or type labels, builds (build=abc1234) or filters:', sa, sb, go]));
            var t = el('table', {'class': 'runs'});
            add(t, el('thead', null, el('tr', null, ['A', 'B', 'id', 'label', 'command', 'suite', 'status', 'started', 'ended', 'rows', 'reason', '']
                .map(function (h) { return el('th', {text: h}); }))));
            var tb = el('tbody');
            t.appendChild(tb);
            add(box, el('div', {'class': 'wrap'}, t));
            function fill() {
                clear(tb);
                var q = ft.value.toLowerCase();
                runs.forEach(function (x) {
                    function m(sel, f) { return sel.value === '*' || sel.value === (x[f] === null || x[f] === undefined ? '' : String(x[f])); }
                    if (!m(fl, 'label') || !m(fc, 'command') || !m(fs, 'status')) return;
                    var hay = [x.id, x.label, x.command, x.argv, x.suite, x.status, x.reason, x.started].map(valueText).join(' ').toLowerCase();
                    if (q && hay.indexOf(q) < 0) return;
                    var ra = el('input', {type: 'radio', name: 'pick-a', value: x.id, onchange: function () { sa.value = String(x.id); }});
                    var rb = el('input', {type: 'radio', name: 'pick-b', value: x.id, onchange: function () { sb.value = String(x.id); }});
                    add(tb, el('tr', {'class': x.status === 'ok' || x.status === 'running' ? null : 'failed', 'data-run': x.id}, [
                        el('td', null, ra), el('td', null, rb), el('td', {'class': 'num', text: x.id}), el('td', {text: x.label || ''}),
                        el('td', {text: x.command}), el('td', {text: x.suite || ''}), el('td', {text: x.status}),
                        el('td', {text: x.started}), el('td', {text: x.ended || ''}), el('td', {'class': 'num', text: x.n_results}),
                        el('td', {text: x.reason || ''}),
                        el('td', null, [el('a', {href: '#/results/' + x.id, text: 'results'}), ' ',
                            el('a', {href: '#/charts/' + x.id, text: 'charts'}),
                            LIVE ? [' ', el('a', {href: '#/live/' + x.id, text: 'live'})] : null])]));
                });
            }
            [fl, fc, fs].forEach(function (s) { s.onchange = fill; });
            ft.oninput = fill;
            fill();
        }, function (e) { failView(box, e); });
    }

    function pageCompare(r, v) {
        var box = el('div');
        main.appendChild(box);
        var a = r.q.a, b = r.q.b;
        if (!a || !b) {
            add(box, el('p', {'class': 'note'}, ['pick two runs, labels or builds in ', el('a', {href: '#/history', text: 'History'})]));
            return;
        }
        add(box, el('h2', {text: 'Compare A = ' + a + ' and B = ' + b}));
        api('/api/compare', [['a', a], ['b', b], ['method', r.q.method]]).then(function (c) {
            if (v !== view) return;
            var lines = c.lines || [];
            /* the settings shown: those that differ between the lines */
            var vary = {};
            lines.forEach(function (l) {
                Object.keys(l.settings || {}).forEach(function (k) {
                    if (lines.some(function (m) { return JSON.stringify((m.settings || {})[k]) !== JSON.stringify(l.settings[k]); })) vary[k] = true;
                });
            });
            lines.forEach(function (l) {
                l.shown = {};
                Object.keys(l.settings || {}).forEach(function (k) { if (vary[k]) l.shown[k] = l.settings[k]; });
            });
            add(box, el('p', {'class': 'note', text: lines.length + ' matched tests; Δ% is B against A with its 95% interval' +
                (c.only_a ? ', only in A: ' + valueText(c.only_a) : '') + (c.only_b ? ', only in B: ' + valueText(c.only_b) : '')}));
            if (!lines.length) return;
            var t = el('table', {'class': 'compare'});
            add(t, el('tr', null, ['kind', 'test', 'settings', 'metric', 'A', 'B', 'Δ%', '95% interval', ''].map(function (h) { return el('th', {text: h}); })));
            lines.forEach(function (l) {
                var d = isNum(l.ratio) ? (l.ratio - 1) * 100 : null;
                add(t, el('tr', {'class': l.significant ? 'sig' : null}, [l.kind, l.test, settingsText(l.shown), l.metric,
                    pm(l.a && l.a.mean, l.a && l.a.pm) + ' (n=' + (l.a ? l.a.n : '?') + ')',
                    pm(l.b && l.b.mean, l.b && l.b.pm) + ' (n=' + (l.b ? l.b.n : '?') + ')',
                    isNum(d) ? (d >= 0 ? '+' : '') + d.toFixed(2) : '-',
                    isNum(l.lo) && isNum(l.hi) ? '[' + ((l.lo - 1) * 100).toFixed(2) + ', ' + ((l.hi - 1) * 100).toFixed(2) + ']' : '-',
                    l.significant ? '*' : ''].map(function (s, k) { return el('td', {'class': k >= 4 ? 'num' : null, text: s}); })));
            });
            add(box, el('div', {'class': 'wrap'}, t));
            deltaChart(box, lines);
            overlay(box, lines);
        }, function (e) { failView(box, e); });
    }

    /* Δ% per test with its interval: a bar from 0 and whiskers, on a canvas */
    function deltaChart(box, lines) {
        var ls = lines.filter(function (l) { return isNum(l.ratio); });
        if (!ls.length) return;
        var b = chartBox(box, 'Δ% of B against A per test, with 95% intervals', 'delta', true);
        var dpr = window.devicePixelRatio || 1, W = Math.max(320, Math.min(1100, (box.clientWidth || 900) - 20));
        var labelW = Math.min(380, W * 0.36), rowH = 22, H = 44 + rowH * ls.length;
        var cv = el('canvas', {width: Math.round(W * dpr), height: Math.round(H * dpr)});
        cv.style.width = W + 'px';
        cv.style.height = H + 'px';
        b.appendChild(cv);
        var ctx = cv.getContext('2d');
        ctx.scale(dpr, dpr);
        var lo = 0, hi = 0;
        ls.forEach(function (l) {
            lo = Math.min(lo, ((isNum(l.lo) ? l.lo : l.ratio) - 1) * 100);
            hi = Math.max(hi, ((isNum(l.hi) ? l.hi : l.ratio) - 1) * 100);
        });
        var span = (hi - lo) || 1;
        lo -= span * 0.05; hi += span * 0.05;
        var x0 = labelW + 8, x1 = W - 16, sx = function (v) { return x0 + (x1 - x0) * (v - lo) / (hi - lo); };
        var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / 5)));
        [1, 2, 5, 10].some(function (m) { if ((hi - lo) / (step * m) <= 7) { step *= m; return true; } return false; });
        var ticks = [];
        for (var t = Math.ceil(lo / step) * step; t <= hi; t += step) ticks.push(t);
        var tt = tickText(ticks);
        b.setAttribute('data-xticks', tt.join(' '));
        ctx.font = '12px system-ui, sans-serif';
        ctx.textBaseline = 'middle';
        ticks.forEach(function (t, i) {
            ctx.strokeStyle = Math.abs(t) < step * 1e-6 ? '#5f6878' : '#eceff4';
            ctx.beginPath(); ctx.moveTo(sx(t), 6); ctx.lineTo(sx(t), H - 34); ctx.stroke();
            ctx.fillStyle = '#1d2330'; ctx.textAlign = 'center';
            ctx.fillText(tt[i], sx(t), H - 24);
        });
        ctx.fillText('Δ% (B / A - 1)', (x0 + x1) / 2, H - 8);
        ls.forEach(function (l, i) {
            var y = 6 + i * rowH, d = (l.ratio - 1) * 100;
            ctx.fillStyle = '#1d2330'; ctx.textAlign = 'right';
            var lab = fitText(ctx, l.test + ' ' + l.metric, labelW);
            ctx.fillText(lab, labelW, y + rowH / 2);
            ctx.fillStyle = l.significant ? (d < 0 ? '#b3261e' : '#1e7b34') : '#9aa3b2';
            ctx.fillRect(Math.min(sx(0), sx(d)), y + 5, Math.max(1, Math.abs(sx(d) - sx(0))), rowH - 10);
            if (isNum(l.lo) && isNum(l.hi)) {
                ctx.strokeStyle = '#1d2330';
                ctx.beginPath();
                ctx.moveTo(sx((l.lo - 1) * 100), y + rowH / 2); ctx.lineTo(sx((l.hi - 1) * 100), y + rowH / 2);
                ctx.moveTo(sx((l.lo - 1) * 100), y + 4); ctx.lineTo(sx((l.lo - 1) * 100), y + rowH - 4);
                ctx.moveTo(sx((l.hi - 1) * 100), y + 4); ctx.lineTo(sx((l.hi - 1) * 100), y + rowH - 4);
                ctx.stroke();
            }
        });
    }

    /* the two sides' curves where a test was measured at several depths */
    function overlay(box, lines) {
        var groups = {}, order = [];
        lines.forEach(function (l) {
            var s = l.settings || {};
            if (!isNum(s.n_depth) && !isNum(s.n_kv)) return;
            var x = isNum(s.n_depth) ? s.n_depth : s.n_kv;
            var rest = {};
            /* the context follows the depth (bench sizes it to p + n + d) */
            Object.keys(s).forEach(function (k) { if (k !== 'n_depth' && k !== 'n_kv' && k !== 'n_ctx') rest[k] = s[k]; });
            var test = String(l.test || '').replace(/ ?@ ?d\d+$/, '');
            var id = JSON.stringify([l.kind, test, l.metric, rest]);
            if (!groups[id]) { groups[id] = {title: l.kind + ' ' + test + ' ' + l.metric, a: [], b: []}; order.push(id); }
            if (l.a && isNum(l.a.mean)) groups[id].a.push([x, l.a.mean, l.a.pm]);
            if (l.b && isNum(l.b.mean)) groups[id].b.push([x, l.b.mean, l.b.pm]);
        });
        var grid = el('div', {'class': 'grid'});
        box.appendChild(grid);
        order.forEach(function (id) {
            var g = groups[id];
            if (g.a.length < 2 && g.b.length < 2) return;
            lineChart(grid, {kind: 'overlay', title: g.title + ' against depth: A and B', xLabel: 'depth (tokens)',
                yLabel: g.title.split(' ').pop(), xInt: true, names: ['A', 'B'],
                series: [{key: {side: 'A'}, pts: g.a}, {key: {side: 'B'}, pts: g.b}]});
        });
    }

    window.addEventListener('hashchange', render);
    render();
})();
