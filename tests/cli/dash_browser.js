// The dashboard's pages in a real Chromium (Debian's, driven by playwright-core from
// web/node_modules; no browser is downloaded): used by the tests t12xx-dash-*.sh.
//   node dash_browser.js pages URL OUTDIR [ROUTE...]
//     visits each route (default: results, charts, history), screenshots each page into
//     OUTDIR/<route>.png and prints one JSON object: per route its tables (text of every
//     cell), its charts (kind, pixels drawn, ticks, whether the legend fits, colours),
//     and every console message, page error and failed request
//   node dash_browser.js live URL OUTDIR
//     follows a running suite on the live page, reloads it mid-run and prints what it saw
// Exit 0 with the JSON (the test judges it), 1 when the browser itself failed.
'use strict';
const path = require('path');
const fs = require('fs');
const {chromium} = require(path.join(__dirname, '../../web/node_modules/playwright-core'));

const [mode, url, out, ...rest] = process.argv.slice(2);
const CHROMIUM = process.env.QB_CHROMIUM || '/usr/bin/chromium';

// poll fn in the page until it is true (playwright's waitForFunction evaluates strings,
// which the page's CSP forbids: that would be a console error of the test's own making)
async function until(page, fn, ms) {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
        if (await page.evaluate(fn).catch(() => false)) return true;
        await page.waitForTimeout(100);
    }
    throw new Error('timed out waiting for ' + fn);
}

function watch(page, log) {
    page.on('console', (m) => log.push({type: m.type(), text: m.text()}));
    page.on('pageerror', (e) => log.push({type: 'pageerror', text: String(e)}));
    page.on('requestfailed', (r) => log.push({type: 'requestfailed', text: r.url() + ' ' + (r.failure() || {}).errorText}));
    page.on('response', (r) => { if (r.status() >= 400) log.push({type: 'http', text: r.status() + ' ' + r.url()}); });
}

// what a page shows: its tables' text and its charts, measured in the page itself
async function inspect(page) {
    return page.evaluate(() => {
        const tables = Array.from(document.querySelectorAll('table')).map((t) => ({
            cls: t.className,
            rows: Array.from(t.querySelectorAll('tr')).map((tr) => ({
                cls: tr.className, cells: Array.from(tr.children).map((c) => c.textContent)})),
        }));
        const charts = Array.from(document.querySelectorAll('.chart')).map((b) => {
            const cvs = Array.from(b.querySelectorAll('canvas'));
            let drawn = 0, colours = new Set();
            for (const c of cvs) {
                const ctx = c.getContext('2d');
                if (!ctx || !c.width || !c.height) continue;
                const d = ctx.getImageData(0, 0, c.width, c.height).data;
                for (let i = 0; i < d.length; i += 4) {
                    const a = d[i + 3], r = d[i], g = d[i + 1], bl = d[i + 2];
                    if (a > 0 && !(r > 245 && g > 245 && bl > 245)) {
                        drawn++;
                        // a colour (not grey): the series' strokes
                        if (Math.max(r, g, bl) - Math.min(r, g, bl) > 60 && a === 255) colours.add((r >> 4) + ',' + (g >> 4) + ',' + (bl >> 4));
                    }
                }
            }
            const lg = b.querySelector('.legend');
            const br = b.getBoundingClientRect();
            let fits = true;
            if (lg) {
                const lr = lg.getBoundingClientRect();
                fits = lg.scrollWidth <= lg.clientWidth + 1 && lr.right <= br.right + 1 && lr.left >= br.left - 1;
                for (const it of lg.querySelectorAll('.item')) {
                    const r = it.getBoundingClientRect();
                    if (r.right > br.right + 1) fits = false;
                }
            }
            const sw = lg ? Array.from(lg.querySelectorAll('i')).map((i) => getComputedStyle(i).backgroundColor) : [];
            return {
                kind: b.getAttribute('data-chart'), title: (b.querySelector('.t') || {}).textContent,
                canvases: cvs.length, drawn, colours: colours.size, xint: b.getAttribute('data-xint') === '1',
                xticks: (b.getAttribute('data-xticks') || '').split(' ').filter(Boolean),
                yticks: (b.getAttribute('data-yticks') || '').split(' ').filter(Boolean),
                series: Number(b.getAttribute('data-series') || 0), legend: lg ? lg.textContent : null,
                legendItems: lg ? lg.querySelectorAll('.item').length : 0, legendFits: fits,
                swatches: sw, width: br.width,
            };
        });
        const pointTables = Array.from(document.querySelectorAll('.chart-table')).map((b) => b.getAttribute('data-chart'));
        return {title: document.title, h1: (document.querySelector('h1') || {}).textContent, tables, charts, pointTables,
                main: document.getElementById('qb-main').innerText.slice(0, 20000),
                answers: Array.from(document.querySelectorAll('#qb-main .answer-box')).map((b) => ({
                    head: (b.querySelector('.h') || {}).textContent, text: (b.querySelector('pre') || {}).textContent})),
                images: document.querySelectorAll('img').length};
    });
}

async function pages(browser) {
    const routes = rest.length ? rest : ['results', 'charts', 'history'];
    const ctx = await browser.newContext({viewport: {width: 1280, height: 900}, offline: url.startsWith('file:')});
    const page = await ctx.newPage();
    const log = [];
    watch(page, log);
    const res = {pages: {}, log};
    await page.goto(url + '#/' + routes[0], {waitUntil: 'load'});
    for (const r of routes) {
        await page.evaluate((h) => { location.hash = h; }, '#/' + r);
        await page.waitForTimeout(400);
        await until(page, () => document.querySelector('#qb-main').childElementCount > 0, 10000);
        const name = r.replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, '');
        // every group open, so the screenshot and the tables show all
        await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
        res.pages[r] = await inspect(page);
        await page.screenshot({path: path.join(out, name + '.png'), fullPage: true});
    }
    await ctx.close();
    return res;
}

async function live(browser) {
    const ctx = await browser.newContext({viewport: {width: 1280, height: 1000}});
    const page = await ctx.newPage();
    const log = [];
    watch(page, log);
    const seen = {progress: [], answers: [], okRows: [], reload: null, shots: []};
    const state = () => page.evaluate(() => ({
        progress: (document.getElementById('qb-progress') || {}).textContent || '',
        fill: (document.getElementById('qb-progress-fill') || {style: {}}).style.width || '',
        current: (document.getElementById('qb-current') || {}).textContent || '',
        status: (document.getElementById('qb-live-status') || {}).textContent || '',
        answers: Array.from(document.querySelectorAll('#qb-answers pre')).map((p) => p.textContent),
        answerKeys: Array.from(document.querySelectorAll('#qb-answers [data-answer]')).map((b) => b.getAttribute('data-answer')),
        log: Array.from(document.querySelectorAll('#qb-log li')).map((l) => l.textContent),
        ok: document.querySelectorAll('#qb-cells tr[data-status="ok"]').length,
        models: Array.from(document.querySelectorAll('#qb-cells tr[data-idx] td:nth-child(2)')).map((t) => t.textContent),
        images: document.querySelectorAll('img').length,
        title: document.title, h2: (document.querySelector('#qb-main h2') || {}).textContent,
        failed: document.querySelectorAll('#qb-cells tr.failed').length,
        cards: Array.from(document.querySelectorAll('#qb-cards .card')).map((c) => ({
            k: c.querySelector('.k').textContent, v: c.querySelector('.v').textContent})),
    }));
    await page.goto(url + '#/live', {waitUntil: 'load'});
    const t0 = Date.now();
    let st = await state(), reloaded = false, shot = 0;
    const limit = Number(process.env.QB_LIVE_LIMIT_S || 240) * 1000;
    while (Date.now() - t0 < limit) {
        st = await state();
        const last = seen.progress[seen.progress.length - 1];
        if (last !== st.progress) seen.progress.push(st.progress);
        const chars = st.answers.join('').length;
        if (!seen.answers.length || seen.answers[seen.answers.length - 1] !== chars) seen.answers.push(chars);
        if (!seen.okRows.length || seen.okRows[seen.okRows.length - 1] !== st.ok) seen.okRows.push(st.ok);
        // reload once an answer is streaming and the run goes on: nothing may be lost
        if (!reloaded && chars > 0 && !/^finished/.test(st.status)) {
            await page.screenshot({path: path.join(out, 'live-before-reload.png'), fullPage: true});
            seen.shots.push('live-before-reload.png');
            const before = st;
            await page.reload({waitUntil: 'load'});
            await until(page, () => document.getElementById('qb-progress') &&
                document.getElementById('qb-progress').textContent !== '', 15000);
            await page.waitForTimeout(300);
            const after = await state();
            seen.reload = {before, after};
            reloaded = true;
            continue;
        }
        if (/^finished/.test(st.status)) break;
        if (shot === 0 && st.ok > 0) {
            await page.screenshot({path: path.join(out, 'live-running.png'), fullPage: true});
            seen.shots.push('live-running.png');
            shot = 1;
        }
        await page.waitForTimeout(150);
    }
    await page.waitForTimeout(500);
    seen.final = await state();
    await page.screenshot({path: path.join(out, 'live-finished.png'), fullPage: true});
    seen.shots.push('live-finished.png');
    seen.log = log;
    seen.elapsed_s = (Date.now() - t0) / 1000;
    await ctx.close();
    return seen;
}

(async () => {
    fs.mkdirSync(out, {recursive: true});
    const browser = await chromium.launch({executablePath: CHROMIUM, headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run']});
    try {
        const res = mode === 'live' ? await live(browser) : await pages(browser);
        process.stdout.write(JSON.stringify(res) + '\n');
    } finally {
        await browser.close();
    }
})().catch((e) => { process.stderr.write('dash_browser: ' + (e && e.stack || e) + '\n'); process.exit(1); });
