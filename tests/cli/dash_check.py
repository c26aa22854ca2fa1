"""Checks of what tests/cli/dash_browser.js saw in Chromium, for the dashboard's tests
(t1200, t1201, t0803, t0837, t1005): no console error, every chart drawn with ticks and a
legend as the issue asks. Each check raises AssertionError naming what is wrong."""
import re

NUM = re.compile(r'^-?\d+(\.\d+)?$')
INT = re.compile(r'^-?\d+$')


def console_errors(log, reloads=False):
    """The entries of a page's log that are errors: console errors and warnings (a CSP
    violation is one), page errors, HTTP errors, failed requests. reloads: the event
    stream a reload cuts off is not one."""
    bad = []
    for e in log:
        if e['type'] in ('error', 'warning', 'pageerror', 'http'):
            bad.append(e)
        elif e['type'] == 'requestfailed':
            if not (reloads and '/api/stream' in e['text'] and 'ERR_ABORTED' in e['text']):
                bad.append(e)
    return bad


def check_chart(c):
    """One chart: drawn (pixels that are not the background), ticks that are numbers and
    integers on an integer axis, no tick like -5.55e-17, a legend that fits its box with a
    distinct colour per series"""
    what = '%s (%s)' % (c['kind'], c['title'])
    assert c['canvases'] >= 1 and c['drawn'] > 1500, 'not drawn: %s %d' % (what, c['drawn'])
    assert c['xticks'], 'no x ticks: ' + what
    for t in c['xticks'] + c['yticks']:
        assert NUM.match(t), 'tick %r: %s' % (t, what)
    if c['xint']:
        assert all(INT.match(t) for t in c['xticks']), 'integer axis ticks %s: %s' % (c['xticks'], what)
        assert len(c['xticks']) >= 2, 'one x value drawn as a chart: ' + what
    assert c['legendFits'], 'legend overflows: ' + what
    if c['legendItems']:
        assert c['legendItems'] == c['series'], 'legend %d items, %d series: %s' % (c['legendItems'], c['series'], what)
        assert len(set(c['swatches'])) == len(c['swatches']), 'colours repeat: %s %s' % (what, c['swatches'])
    assert c['width'] <= 1300, 'wider than the page: ' + what
