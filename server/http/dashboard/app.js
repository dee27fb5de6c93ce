// The mdefleet fleet dashboard (docs/dashboard.md): a read-only view of the
// /api/v1 JSON routes, refreshed every 2 s without reloading the page.
//
// Rules this file keeps, because hostnames, labels, step names and messages
// come from devices and are attacker-controlled:
// - every string from the API reaches the DOM as a text node (h() below turns
//   strings into text nodes; nothing here assigns innerHTML, outerHTML or
//   insertAdjacentHTML, calls document.write or eval);
// - every such string and attribute value passes through inert() first, so
//   controls, C1, U+2028/U+2029 and bidi overrides show as escapes ("\x1b",
//   "\u202e") exactly as mdefleetctl shows them (common/inert_text.h);
// - links are built only from "#/..." plus encodeURIComponent(id);
// - the page runs under a CSP without 'unsafe-inline': no inline handlers or
//   style attributes, only addEventListener and CSSOM (el.style.width).
// The viewer token lives in sessionStorage only (never localStorage, never
// the URL) and is sent as "Authorization: Bearer".
'use strict';

(() => {
  const TOKEN_KEY = 'mdefleet.viewerToken';
  const POLL_MS = 2000;
  const TASK_PAGE_SIZE = 50;
  const DEVICE_PAGE_SIZE = 100;
  const MAX_JOB_DETAILS = 10;  // active jobs whose failing steps home shows

  // ---------------------------------------------------------------- DOM ---

  // Device text made inert (inert.js: the rules of common/inert_text.h).
  const inert = globalThis.mdefleetInert.inert;
  // A text node of inert text.
  const inertNode = (s) => document.createTextNode(inert(s));
  // Multi-line device text (output tails): lines kept, controls escaped.
  const blockText = (s) => document.createTextNode(inert(s, true));

  // h('div', {class: 'x', testid: 'y'}, 'text', child, [more]) builds an
  // element. Strings and numbers become inert text nodes; null/undefined/
  // false are skipped. Attributes are set with setAttribute (never markup),
  // their values made inert too.
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === undefined || value === null || value === false) continue;
        if (key === 'class') {
          el.className = value;
        } else if (key === 'testid') {
          el.setAttribute('data-testid', value);
        } else if (key === 'data') {
          for (const [k, v] of Object.entries(value)) {
            el.setAttribute('data-' + k, inert(v));
          }
        } else if (key === 'href') {
          el.setAttribute('href', safeHref(value));
        } else {
          el.setAttribute(key, inert(value));
        }
      }
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children) {
      if (child === undefined || child === null || child === false) continue;
      if (Array.isArray(child)) {
        append(el, child);
      } else if (child instanceof Node) {
        el.appendChild(child);
      } else {
        el.appendChild(inertNode(child));
      }
    }
  }

  // Only in-page links: a value that is not "#/..." becomes "#/".
  function safeHref(value) {
    const s = String(value);
    return s.startsWith('#/') ? s : '#/';
  }

  function $(id) {
    return document.getElementById(id);
  }

  // ------------------------------------------------------------ helpers ---

  // "JOB_STATE_RUNNING" -> "running"; numbers (unknown enum values) stay.
  function short(value, prefix) {
    if (value === undefined || value === null || value === '') {
      return 'unspecified';
    }
    const s = String(value);
    return (s.startsWith(prefix) ? s.slice(prefix.length) : s).toLowerCase();
  }
  const jobState = (v) => short(v, 'JOB_STATE_');
  const taskState = (v) => short(v, 'TASK_STATE_');
  const stepState = (v) => short(v, 'STEP_STATE_');
  const osFamily = (v) => short(v, 'OS_FAMILY_');
  const mdeState = (v) => short(v, 'MDE_STATE_');

  const OS_FAMILIES = ['ws2012r2', 'ws2016', 'ws2019', 'ws2022', 'ws2025'];
  const OS_LABELS = {
    ws2012r2: 'Server 2012 R2',
    ws2016: 'Server 2016',
    ws2019: 'Server 2019',
    ws2022: 'Server 2022',
    ws2025: 'Server 2025',
    unspecified: 'unknown OS',
  };
  const MDE_STATES =
      ['not_installed', 'not_onboarded', 'onboarded', 'sense_not_running'];
  const JOB_STATES = ['pending', 'running', 'paused', 'succeeded', 'failed',
                      'cancelled', 'expired'];
  // Stacked bar order: finished first (left), then in flight, then waiting.
  const TASK_STATES = ['succeeded', 'failed', 'timed_out', 'skipped',
                       'cancelled', 'expired', 'running', 'leased', 'queued'];
  const FINAL_TASK_STATES = ['succeeded', 'failed', 'timed_out', 'skipped',
                             'cancelled', 'expired'];
  const JOB_KINDS = ['install', 'onboard', 'migrate_mma', 'offboard',
                     'uninstall', 'image_prep', 'configure_proxy',
                     'set_passive_mode', 'health_check', 'connectivity_test',
                     'api_offboard'];

  const words = (s) => String(s).replace(/_/g, ' ');
  const num = (v) => {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  };

  // TaskCounts JSON (lowerCamelCase) -> {succeeded, ..., timed_out, total}.
  function taskCounts(counts) {
    const c = counts || {};
    const out = {total: num(c.total)};
    for (const s of TASK_STATES) {
      out[s] = num(c[s === 'timed_out' ? 'timedOut' : s]);
    }
    out.finished = FINAL_TASK_STATES.reduce((sum, s) => sum + out[s], 0);
    return out;
  }

  function parseTime(ts) {
    if (!ts) return null;
    const t = Date.parse(ts);
    return Number.isFinite(t) ? t : null;
  }

  const pad = (n) => String(n).padStart(2, '0');

  // Local time: "14:03:07" today, "2026-03-01 14:03" otherwise.
  function fmtTime(ts) {
    const t = parseTime(ts);
    if (t === null) return '—';
    const d = new Date(t);
    const now = new Date();
    const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    if (d.toDateString() === now.toDateString()) return hms;
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
        `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  function fmtSpan(ms) {
    if (ms === null || !Number.isFinite(ms) || ms < 0) return '—';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    const s = ms / 1000;
    if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m ${Math.floor(s % 60)}s`;
    const hr = Math.floor(m / 60);
    if (hr < 48) return `${hr}h ${m % 60}m`;
    return `${Math.floor(hr / 24)}d` + (hr % 24 ? ` ${hr % 24}h` : '');
  }

  function fmtAgo(ts) {
    const t = parseTime(ts);
    if (t === null) return 'never';
    const ms = Date.now() - t;
    return ms < 0 ? 'just now' : `${fmtSpan(ms)} ago`;
  }

  function timeEl(ts) {
    return h('time', {datetime: ts || undefined, title: ts || undefined},
             fmtTime(ts));
  }

  // "604800s" -> "7d", "5400s" -> "1h 30m".
  function fmtDuration(d) {
    const m = /^(-?\d+(?:\.\d+)?)s$/.exec(String(d || ''));
    return m ? fmtSpan(Number(m[1]) * 1000) : String(d || '—');
  }

  function badge(kind, state, testid) {
    return h('span', {class: `badge st-${state}`, testid}, words(state));
  }

  // ------------------------------------------------------------- API ---

  class AuthError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }
  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }
  class Unreachable extends Error {}

  const getToken = () => sessionStorage.getItem(TOKEN_KEY) || '';

  // GETs a relative API path (so the page also works below a path prefix).
  async function api(path, params) {
    const token = getToken();
    if (!token) throw new AuthError(0, 'NO_TOKEN', '');
    let url = path;
    if (params) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) {
        if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
      }
      const qs = q.toString();
      if (qs) url += '?' + qs;
    }
    let resp;
    try {
      resp = await fetch(url, {
        headers: {'Authorization': 'Bearer ' + token,
                  'Accept': 'application/json'},
        cache: 'no-store',
        credentials: 'same-origin',
        redirect: 'error',
      });
    } catch (e) {
      throw new Unreachable(e && e.message ? e.message : 'network error');
    }
    let body = null;
    try {
      body = await resp.json();
    } catch (e) {
      body = null;
    }
    if (resp.status === 401 || resp.status === 403) {
      throw new AuthError(resp.status, body && body.code,
                          (body && body.message) || resp.statusText);
    }
    if (!resp.ok) {
      if (resp.status >= 502 && resp.status <= 504) {
        throw new Unreachable(`HTTP ${resp.status} from a proxy`);
      }
      throw new ApiError(resp.status, (body && body.code) || 'HTTP_ERROR',
                         (body && body.message) || resp.statusText);
    }
    if (body === null) {
      throw new ApiError(resp.status, 'BAD_RESPONSE', 'the answer is not JSON');
    }
    return body;
  }

  const enc = encodeURIComponent;

  // ------------------------------------------------------------ router ---

  function parseRoute() {
    const raw = location.hash.replace(/^#/, '') || '/';
    const [path, query] = raw.split('?', 2);
    const parts = path.split('/').filter((p) => p !== '');
    const params = new URLSearchParams(query || '');
    const dec = (s) => {
      try {
        return decodeURIComponent(s);
      } catch (e) {
        return s;
      }
    };
    if (parts[0] === 'jobs' && parts.length === 2) {
      return {name: 'job', id: dec(parts[1]), params};
    }
    if (parts[0] === 'jobs') return {name: 'jobs', params};
    if (parts[0] === 'devices' && parts.length === 2) {
      return {name: 'device', id: dec(parts[1]), params};
    }
    if (parts[0] === 'devices') return {name: 'devices', params};
    return {name: 'home', params};
  }

  function hashWith(base, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const qs = q.toString();
    return qs ? `${base}?${qs}` : base;
  }

  // ----------------------------------------------------------- widgets ---

  // A stacked bar of a job's tasks by state, and its legend.
  function progress(counts, opts) {
    const c = taskCounts(counts);
    const bar = h('div', {class: 'bar' + (opts && opts.slim ? ' slim' : ''),
                          testid: 'job-progress', role: 'img',
                          'aria-label': `${c.finished} of ${c.total} tasks finished`});
    for (const s of TASK_STATES) {
      if (!c[s] || !c.total) continue;
      const seg = h('span', {class: `seg st-${s}`, title: `${c[s]} ${words(s)}`,
                             data: {state: s}});
      seg.style.width = `${(100 * c[s]) / c.total}%`;
      bar.appendChild(seg);
    }
    const legend = h('div', {class: 'legend', testid: 'job-counts'},
        h('span', {class: 'finished'},
          h('strong', {testid: 'job-finished'}, c.finished), ' of ',
          h('span', {testid: 'job-total'}, c.total), ' finished'),
        TASK_STATES.filter((s) => c[s] > 0 || s === 'succeeded' || s === 'failed')
            .map((s) => h('span', {class: 'count'},
                          h('i', {class: `dot st-${s}`}),
                          h('span', {testid: `count-${s}`}, c[s]),
                          ' ', words(s))));
    return h('div', {class: 'progress'}, bar, legend);
  }

  function failingSteps(failures) {
    const list = failures || [];
    if (list.length === 0) {
      return h('p', {class: 'muted', testid: 'no-failing-steps'},
               'No failing steps.');
    }
    return h('ul', {class: 'failing', testid: 'failing-steps'},
      list.map((f) => h('li', {testid: 'failing-step'},
        h('span', {class: 'step-name', testid: 'failing-step-name'}, f.stepName || ''),
        h('span', {class: 'fail-count', testid: 'failing-step-count',
                   title: 'tasks that failed this step with this message'},
          `× ${num(f.count)}`),
        h('span', {class: 'fail-message', testid: 'failing-step-message'},
          f.message || ''))));
  }

  function section(title, testid, ...children) {
    return h('section', {class: 'panel', testid}, h('h2', null, title),
             ...children);
  }

  function pager(hasPrev, nextToken, onFirst, onNext, testprefix) {
    const first = h('button', {type: 'button', class: 'small',
                               testid: `${testprefix}-first`}, '« First page');
    first.disabled = !hasPrev;
    first.addEventListener('click', onFirst);
    const next = h('button', {type: 'button', class: 'small',
                              testid: `${testprefix}-next`}, 'Next page »');
    next.disabled = !nextToken;
    next.addEventListener('click', onNext);
    return h('span', {class: 'pager'}, first, next);
  }

  function jobTitle(job) {
    const spec = job.spec || {};
    return h('span', {class: 'job-title'},
             h('span', {class: 'kind'}, words(spec.kind || 'job')), ' ',
             h('span', {class: 'id'}, job.id || ''));
  }

  function targetText(spec) {
    const t = (spec && spec.target) || {};
    const parts = [];
    if (t.all) parts.push('all devices');
    if (t.deviceIds && t.deviceIds.length) {
      parts.push(`${t.deviceIds.length} device id(s)`);
    }
    if (t.hostnameGlob) parts.push(`hostname ${t.hostnameGlob}`);
    for (const [k, v] of Object.entries(t.labels || {})) parts.push(`${k}=${v}`);
    if (t.osFamilies && t.osFamilies.length) {
      parts.push(t.osFamilies.map(osFamily).join(', '));
    }
    return parts.join('; ') || '—';
  }

  // --------------------------------------------------------- home view ---

  function homeView() {
    const root = h('div', {class: 'home', testid: 'home'});
    let summaryBox = h('div', {class: 'loading'}, 'Loading…');
    let needsBox = h('div');
    const jobsBox = h('div', {testid: 'running-jobs'});
    root.append(
        h('div', {class: 'grid-2'},
          section('Fleet: MDE state by OS family', 'fleet-summary', summaryBox),
          section('What devices need', 'needs', needsBox)),
        section('Running jobs', 'running-jobs-panel', jobsBox));

    async function load() {
      const [summary, running, paused] = await Promise.all([
        api('api/v1/summary'),
        api('api/v1/jobs', {state: 'running', limit: 50}),
        api('api/v1/jobs', {state: 'paused', limit: 50}),
      ]);
      const jobs = [...(running.jobs || []), ...(paused.jobs || [])];
      // ListJobs carries counts only; GetJob adds the failing steps.
      const details = await Promise.all(jobs.slice(0, MAX_JOB_DETAILS).map(
          (j) => api('api/v1/jobs/' + enc(j.id)).catch(() => j)));
      return {summary, jobs: details.concat(jobs.slice(MAX_JOB_DETAILS))};
    }

    function render(data) {
      summaryBox.replaceWith(summaryBox = renderSummary(data.summary));
      needsBox.replaceWith(needsBox = renderNeeds(data.summary));
      jobsBox.replaceChildren(...renderJobCards(data.jobs));
    }
    return {root, load, render};
  }

  function renderSummary(summary) {
    const total = num(summary.total);
    const online = num(summary.online);
    const counts = {};
    const families = new Set(OS_FAMILIES);
    const states = new Set(MDE_STATES);
    for (const cell of summary.cells || []) {
      const os = osFamily(cell.osFamily);
      const st = mdeState(cell.mdeState);
      families.add(os);
      states.add(st);
      counts[os] = counts[os] || {};
      counts[os][st] = (counts[os][st] || 0) + num(cell.devices);
    }
    const stateList = [...states];
    const onboarded = Object.values(counts)
        .reduce((sum, row) => sum + (row.onboarded || 0), 0);

    const head = h('tr', null, h('th', {scope: 'col'}, 'OS family'),
                   stateList.map((s) => h('th', {scope: 'col', class: `col-${s}`},
                                          h('i', {class: `dot mde-${s}`}), words(s))),
                   h('th', {scope: 'col'}, 'total'));
    const rows = [...families].map((os) => {
      const row = counts[os] || {};
      const rowTotal = Object.values(row).reduce((a, b) => a + b, 0);
      return h('tr', {data: {os}},
        h('th', {scope: 'row'}, OS_LABELS[os] || os),
        stateList.map((st) => {
          const n = row[st] || 0;
          const cell = n ? h('a', {href: hashWith('#/devices',
                                                  {os_family: os, mde_state: st})}, n)
                         : h('span', {class: 'zero'}, '·');
          return h('td', {class: `num heat mde-${st}` + (n ? ' some' : ''),
                          testid: 'summary-cell', data: {os, mde: st, count: n}},
                   cell);
        }),
        h('td', {class: 'num total'}, rowTotal ?
            h('a', {href: hashWith('#/devices', {os_family: os})}, rowTotal) : '·'));
    });
    const colTotals = h('tr', {class: 'totals'}, h('th', {scope: 'row'}, 'all'),
        stateList.map((st) => {
          const n = Object.values(counts).reduce((a, r) => a + (r[st] || 0), 0);
          return h('td', {class: 'num'}, n ?
              h('a', {href: hashWith('#/devices', {mde_state: st})}, n) : '·');
        }),
        h('td', {class: 'num total'}, total));

    const pct = total ? Math.round((100 * onboarded) / total) : 0;
    return h('div', {class: 'summary'},
      h('div', {class: 'kpis'},
        kpi('devices', h('a', {href: '#/devices', testid: 'summary-total'}, total)),
        kpi('online', h('span', {testid: 'summary-online'}, online),
            ` of ${total}`),
        kpi('offline', h('span', {testid: 'summary-offline'}, total - online)),
        kpi('onboarded', h('span', {testid: 'summary-onboarded'}, `${pct}%`))),
      h('table', {class: 'matrix', testid: 'summary-table'},
        h('thead', null, head), h('tbody', null, rows, colTotals)),
      h('p', {class: 'muted small'},
        `Offline: not seen for ${fmtDuration(summary.offlineFor)}. ` +
        'Click a count to list those devices.'));
  }

  function kpi(label, value, extra) {
    return h('div', {class: 'kpi'}, h('div', {class: 'kpi-value'}, value, extra),
             h('div', {class: 'kpi-label'}, label));
  }

  function renderNeeds(summary) {
    const needs = (summary.needs || []).slice()
        .sort((a, b) => num(b.devices) - num(a.devices));
    if (needs.length === 0) return h('p', {class: 'muted'}, 'No needs reported.');
    return h('table', {class: 'needs', testid: 'needs-list'},
      h('thead', null, h('tr', null, h('th', null, 'need'), h('th', null, 'fixed by'),
                         h('th', {class: 'num'}, 'devices'))),
      h('tbody', null, needs.map((n) => {
        const need = n.need || {};
        const count = num(n.devices);
        return h('tr', {class: count ? '' : 'none', testid: 'need-row',
                        data: {need: need.need || ''}},
          h('td', {title: need.advice || undefined},
            n.description || words(need.need || '')),
          h('td', null, need.jobKind ? h('code', null, need.jobKind) : '—'),
          h('td', {class: 'num'}, count ?
              h('a', {href: hashWith('#/devices', {needs: need.jobKind || need.need})},
                count) :
              count));
      })));
  }

  function renderJobCards(jobs) {
    if (jobs.length === 0) {
      return [h('p', {class: 'muted', testid: 'no-running-jobs'},
                'No running or paused jobs.')];
    }
    return jobs.map((job) => {
      const state = jobState(job.state);
      return h('article', {class: 'job-card', testid: 'job-card',
                           data: {'job-id': job.id || '', state}},
        h('div', {class: 'job-head'},
          h('a', {href: '#/jobs/' + enc(job.id || ''), testid: 'job-link'},
            jobTitle(job)),
          badge('job', state, 'job-state'),
          h('span', {class: 'muted'}, `target: ${targetText(job.spec)}`),
          h('span', {class: 'spacer'}),
          h('span', {class: 'muted'}, 'started ', fmtAgo(job.createdAt),
            job.createdBy ? ` by ${job.createdBy}` : '')),
        job.stateReason ? h('p', {class: 'reason'}, job.stateReason) : null,
        progress(job.counts),
        (job.failingSteps || []).length ? failingSteps(job.failingSteps) : null);
    });
  }

  // ---------------------------------------------------------- jobs view ---

  function jobsView(route) {
    const state = route.params.get('state') || '';
    const select = h('select', {testid: 'jobs-state-filter', 'aria-label': 'state'},
      h('option', {value: ''}, 'any state'),
      JOB_STATES.map((s) => h('option', {value: s}, s)));
    select.value = state;
    select.addEventListener('change', () => {
      location.hash = hashWith('#/jobs', {state: select.value});
    });
    const body = h('tbody');
    const root = section('Jobs', 'jobs-list',
      h('div', {class: 'toolbar'}, h('label', null, 'State ', select),
        h('span', {class: 'muted'}, 'newest first, up to 100')),
      h('table', {class: 'list jobs'},
        h('thead', null, h('tr', null, h('th', null, 'job'), h('th', null, 'state'),
          h('th', {class: 'wide'}, 'progress'), h('th', null, 'target'),
          h('th', null, 'created'), h('th', null, 'by'))),
        body));

    async function load() {
      return api('api/v1/jobs', {state, limit: 100});
    }
    function render(data) {
      const jobs = data.jobs || [];
      body.replaceChildren(...(jobs.length ? jobs.map((job) =>
        h('tr', {testid: 'job-row', data: {'job-id': job.id || ''}},
          h('td', null, h('a', {href: '#/jobs/' + enc(job.id || '')}, jobTitle(job))),
          h('td', null, badge('job', jobState(job.state))),
          h('td', null, progress(job.counts, {slim: true})),
          h('td', {class: 'muted'}, targetText(job.spec)),
          h('td', null, timeEl(job.createdAt)),
          h('td', null, job.createdBy || ''))) :
        [h('tr', null, h('td', {colspan: 6, class: 'muted'}, 'No jobs.'))]));
    }
    return {root, load, render};
  }

  // ------------------------------------------------------ job detail ---

  function jobView(route) {
    const id = route.id;
    const taskFilter = route.params.get('tasks') || '';
    const pageTokens = [''];  // tokens of the pages seen, for "back to first"
    const openTasks = new Set();
    let userToggled = false;

    let head = h('div', {class: 'loading'}, 'Loading…');
    const prog = h('div');
    const summaryBox = h('div');
    const failBox = h('div');
    const taskBox = h('div', {testid: 'task-list'});
    const taskInfo = h('span', {class: 'muted'});
    const pagerBox = h('span');
    const select = h('select', {testid: 'task-filter', 'aria-label': 'task state'},
      h('option', {value: ''}, 'all tasks'),
      ['failed', 'timed_out', 'running', 'leased', 'queued', 'succeeded',
       'skipped', 'cancelled', 'expired'].map((s) => h('option', {value: s}, words(s))));
    select.value = taskFilter;
    select.addEventListener('change', () => {
      location.hash = hashWith('#/jobs/' + enc(id), {tasks: select.value});
    });

    const root = h('div', {class: 'job-detail', testid: 'job-detail',
                           data: {'job-id': id}},
      h('p', {class: 'crumbs'}, h('a', {href: '#/'}, 'Fleet'), ' › ',
        h('a', {href: '#/jobs'}, 'Jobs'), ' › ', id),
      h('section', {class: 'panel'}, head, prog),
      h('div', {class: 'grid-2'},
        section('Steps', 'step-summary-panel', summaryBox),
        section('Failing steps', 'failing-steps-panel', failBox)),
      section('Devices: step timelines', 'tasks-panel',
        h('div', {class: 'toolbar'}, h('label', null, 'Show ', select), taskInfo,
          h('span', {class: 'spacer'}), pagerBox),
        taskBox));

    async function load() {
      const [job, tasks] = await Promise.all([
        api('api/v1/jobs/' + enc(id)),
        api('api/v1/jobs/' + enc(id) + '/tasks',
            {state: taskFilter, page_size: TASK_PAGE_SIZE,
             page_token: pageTokens[pageTokens.length - 1]}),
      ]);
      return {job, tasks};
    }

    function render({job, tasks}) {
      const newHead = renderJobHead(job);
      head.replaceWith(newHead);
      head = newHead;
      prog.replaceChildren(progress(job.counts));
      summaryBox.replaceChildren(renderStepSummary(job.stepSummary || []));
      failBox.replaceChildren(failingSteps(job.failingSteps));
      const list = tasks.tasks || [];
      if (!userToggled) {
        // Until the operator opens or closes one: show the first failures.
        list.filter((t) => ['failed', 'timed_out'].includes(taskState(t.state)))
            .slice(0, 2).forEach((t) => openTasks.add(t.id));
      }
      taskInfo.replaceChildren(`${list.length} task(s) on this page` +
          (pageTokens.length > 1 ? ` (page ${pageTokens.length})` : ''));
      pagerBox.replaceChildren(pager(pageTokens.length > 1, tasks.nextPageToken,
        () => {
          pageTokens.length = 1;
          refreshNow();
        },
        () => {
          pageTokens.push(tasks.nextPageToken);
          refreshNow();
        }, 'tasks'));
      taskBox.replaceChildren(...(list.length ? list.map(renderTask) :
          [h('p', {class: 'muted'}, 'No tasks match.')]));
    }
    function renderTask(task) {
      const state = taskState(task.state);
      const steps = task.steps || [];
      const details = h('details', {class: `task st-border-${state}`,
                                    testid: 'task-row',
                                    data: {'task-id': task.id || '', state}});
      details.open = openTasks.has(task.id);
      details.addEventListener('toggle', () => {
        userToggled = true;
        if (details.open) openTasks.add(task.id); else openTasks.delete(task.id);
      });
      const start = parseTime(task.startedAt);
      const end = parseTime(task.finishedAt);
      details.append(
        h('summary', null,
          h('a', {href: '#/devices/' + enc(task.deviceId || ''),
                  class: 'host', testid: 'task-hostname'}, task.hostname || ''),
          badge('task', state, 'task-state'),
          num(task.attempt) > 1 ? h('span', {class: 'muted'}, `attempt ${num(task.attempt)}`) : null,
          h('span', {class: 'chips', testid: 'step-strip'},
            steps.map((s) => h('span', {class: `chip st-${stepState(s.state)}`,
                                        title: `${s.name || ''}: ${words(stepState(s.state))}`},
                               s.name || ''))),
          h('span', {class: 'spacer'}),
          h('span', {class: 'muted times'}, start ? timeEl(task.startedAt) : 'not started',
            start ? ` · ${fmtSpan((end || Date.now()) - start)}` : '')),
        task.message ? h('p', {class: 'task-message', testid: 'task-message'},
                         task.message) : null,
        renderTimeline(task));
      return details;
    }
    return {root, load, render};
  }

  function renderJobHead(job) {
    const spec = job.spec || {};
    const policy = spec.policy || {};
    const rollout = job.rollout || {};
    const state = jobState(job.state);
    const facts = [
      ['target', targetText(spec)],
      ['created', [timeEl(job.createdAt), job.createdBy ? ` by ${job.createdBy}` : '']],
      job.finishedAt ? ['finished', timeEl(job.finishedAt)] : null,
      ['max in flight', num(policy.maxInFlight) || 'no limit'],
      num(policy.canary) ? ['canary', num(policy.canary)] : null,
      rollout.maxFailures !== undefined ? ['max failures', num(rollout.maxFailures)] : null,
      ['wave', num(rollout.wave) === 0 && num(policy.canary) ? 'canaries' : num(rollout.wave)],
      rollout.deadline ? ['deadline', timeEl(rollout.deadline)] : null,
      rollout.pauseCause && rollout.pauseCause !== 'PAUSE_CAUSE_UNSPECIFIED' ?
          ['paused by', words(short(rollout.pauseCause, 'PAUSE_CAUSE_'))] : null,
      num(rollout.queuedOffline) ? ['queued, device offline', num(rollout.queuedOffline)] : null,
      num(rollout.retryWaiting) ? ['waiting to retry', num(rollout.retryWaiting)] : null,
      num(rollout.apiWaiting) ? ['waiting for API quota', num(rollout.apiWaiting)] : null,
    ].filter(Boolean);
    return h('div', {class: 'job-head-detail'},
      h('h1', null, jobTitle(job), ' ', badge('job', state, 'job-state')),
      job.stateReason ? h('p', {class: 'reason', testid: 'job-reason'}, job.stateReason) : null,
      h('dl', {class: 'facts-inline'},
        facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])));
  }

  function renderStepSummary(rows) {
    if (rows.length === 0) return h('p', {class: 'muted'}, 'No steps yet.');
    const cols = ['succeeded', 'failed', 'running', 'pending', 'skipped'];
    return h('table', {class: 'list steps', testid: 'step-summary'},
      h('thead', null, h('tr', null, h('th', null, 'step'),
        cols.map((c) => h('th', {class: 'num'}, c)), h('th', {class: 'wide'}, ''))),
      h('tbody', null, rows.map((r) => {
        const total = cols.reduce((a, c) => a + num(r[c]), 0);
        const bar = h('div', {class: 'bar slim'});
        for (const c of cols) {
          if (!num(r[c]) || !total) continue;
          const seg = h('span', {class: `seg st-${c}`, title: `${num(r[c])} ${c}`});
          seg.style.width = `${(100 * num(r[c])) / total}%`;
          bar.appendChild(seg);
        }
        return h('tr', {testid: 'step-summary-row'},
          h('td', {class: 'step-name'}, r.stepName || ''),
          cols.map((c) => h('td', {class: 'num' + (c === 'failed' && num(r[c]) ? ' bad' : '')},
                            num(r[c]) || '·')),
          h('td', null, bar));
      })));
  }

  // One task's steps: a table whose last column draws each step's span on
  // the task's own time axis (a small Gantt chart).
  function renderTimeline(task) {
    const steps = task.steps || [];
    if (steps.length === 0) return h('p', {class: 'muted'}, 'No steps planned.');
    const now = Date.now();
    const starts = steps.map((s) => parseTime(s.startedAt)).filter((t) => t !== null);
    const t0 = parseTime(task.startedAt) ?? (starts.length ? Math.min(...starts) : null);
    const ends = steps.map((s) => parseTime(s.finishedAt) ?? (parseTime(s.startedAt) !== null ? now : null))
        .filter((t) => t !== null);
    const t1 = Math.max(parseTime(task.finishedAt) ?? 0, ...ends, t0 ?? 0);
    const span = t0 !== null && t1 > t0 ? t1 - t0 : null;
    return h('table', {class: 'list timeline', testid: 'step-timeline'},
      h('thead', null, h('tr', null, h('th', {class: 'num'}, '#'), h('th', null, 'step'),
        h('th', null, 'state'), h('th', null, 'started'), h('th', null, 'finished'),
        h('th', {class: 'num'}, 'took'), h('th', {class: 'gantt-col'}, 'timeline'),
        h('th', {class: 'wide'}, 'message'))),
      h('tbody', null, steps.map((s) => {
        const st = stepState(s.state);
        const a = parseTime(s.startedAt);
        const b = parseTime(s.finishedAt) ?? (a !== null && st === 'running' ? now : null);
        const gantt = h('div', {class: 'gantt'});
        if (span !== null && a !== null) {
          const seg = h('span', {class: `seg st-${st}`});
          seg.style.left = `${(100 * (a - t0)) / span}%`;
          seg.style.width = `${Math.max(1, (100 * ((b ?? a) - a)) / span)}%`;
          gantt.appendChild(seg);
        }
        const exit = s.exitCode !== undefined && s.exitCode !== null ?
            `exit ${s.exitCode}` : null;
        return h('tr', {testid: 'step-row', data: {state: st}},
          h('td', {class: 'num muted'}, num(s.index)),
          h('td', {class: 'step-name', testid: 'step-name'}, s.name || ''),
          h('td', null, badge('step', st, 'step-state')),
          h('td', null, timeEl(s.startedAt)),
          h('td', null, timeEl(s.finishedAt)),
          h('td', {class: 'num'}, a !== null && b !== null ? fmtSpan(b - a) : '—'),
          h('td', {class: 'gantt-col'}, gantt),
          h('td', {class: 'message', testid: 'step-message'},
            exit ? h('span', {class: 'exit'}, exit) : null,
            s.message || '',
            s.outputTail ? h('details', {class: 'tail'}, h('summary', null, 'output'),
                             h('pre', null, blockText(s.outputTail))) : null));
      })));
  }

  // ------------------------------------------------------ devices view ---

  function devicesView(route) {
    const p = route.params;
    const pageTokens = [''];
    const form = h('form', {class: 'filters', testid: 'device-filters'});
    const sel = (name, label, options) => {
      const s = h('select', {name, 'aria-label': label, testid: `filter-${name}`},
        h('option', {value: ''}, `any ${label}`),
        options.map(([v, text]) => h('option', {value: v}, text)));
      s.value = p.get(name) || '';
      s.addEventListener('change', apply);
      return h('label', null, s);
    };
    const input = (name, label, placeholder) => {
      const i = h('input', {name, type: 'text', placeholder, 'aria-label': label,
                            testid: `filter-${name}`, spellcheck: 'false'});
      i.value = p.get(name) || '';
      return h('label', null, i);
    };
    const FILTERS = ['os_family', 'mde_state', 'needs', 'hostname', 'label',
                     'seen_within', 'unseen_for'];
    form.append(
      sel('os_family', 'OS', OS_FAMILIES.map((o) => [o, OS_LABELS[o]])),
      sel('mde_state', 'MDE state', MDE_STATES.map((s) => [s, words(s)])),
      sel('needs', 'need', JOB_KINDS.map((k) => [k, `needs ${words(k)}`]).concat(
          [['duplicate_hostname', 'duplicate host name']])),
      sel('seen_within', 'seen', [['15m', 'seen in 15 min'], ['1h', 'seen in 1 h'],
                                  ['24h', 'seen in 24 h']]),
      sel('unseen_for', 'unseen', [['1h', 'unseen for 1 h'], ['24h', 'unseen for 24 h'],
                                   ['7d', 'unseen for 7 days']]),
      input('hostname', 'hostname', 'hostname glob, e.g. web-*'),
      input('label', 'label', 'label key=value'),
      h('button', {type: 'submit', class: 'small', testid: 'filter-apply'}, 'Apply'),
      h('a', {href: '#/devices', class: 'small'}, 'clear'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      apply();
    });
    function apply() {
      const values = {};
      for (const name of FILTERS) values[name] = form.elements[name].value.trim();
      location.hash = hashWith('#/devices', values);
    }

    const body = h('tbody');
    const info = h('span', {class: 'muted', testid: 'devices-total'});
    const pagerBox = h('span');
    const root = section('Devices', 'devices-list', form,
      h('div', {class: 'toolbar'}, info, h('span', {class: 'spacer'}), pagerBox),
      h('table', {class: 'list devices', testid: 'devices-table'},
        h('thead', null, h('tr', null, h('th', null, 'hostname'), h('th', null, 'OS'),
          h('th', null, 'MDE state'), h('th', null, 'seen'), h('th', null, 'labels'),
          h('th', null, 'needs'))),
        body));

    async function load() {
      const q = {page_size: DEVICE_PAGE_SIZE,
                 page_token: pageTokens[pageTokens.length - 1]};
      for (const name of FILTERS) q[name] = p.get(name) || '';
      return api('api/v1/devices', q);
    }
    function render(data) {
      const devices = data.devices || [];
      info.replaceChildren(`${num(data.total)} device(s) match` +
          (pageTokens.length > 1 ? ` · page ${pageTokens.length}` : ''));
      pagerBox.replaceChildren(pager(pageTokens.length > 1, data.nextPageToken,
        () => {
          pageTokens.length = 1;
          refreshNow();
        },
        () => {
          pageTokens.push(data.nextPageToken);
          refreshNow();
        }, 'devices'));
      body.replaceChildren(...(devices.length ? devices.map(deviceRow) :
          [h('tr', null, h('td', {colspan: 6, class: 'muted'}, 'No devices match.'))]));
    }
    return {root, load, render};
  }

  function deviceRow(d) {
    const f = d.facts || {};
    return h('tr', {testid: 'device-row', data: {'device-id': d.id || ''}},
      h('td', null, h('a', {href: '#/devices/' + enc(d.id || ''), class: 'host',
                            testid: 'device-hostname-cell'}, f.hostname || d.id || '')),
      h('td', {class: 'nw'}, OS_LABELS[osFamily(f.osFamily)] || osFamily(f.osFamily)),
      h('td', null, h('span', {class: `mde mde-${mdeState(f.mdeState)}`},
                      words(mdeState(f.mdeState)))),
      h('td', {class: 'nw'}, h('span', {class: d.online ? 'online' : 'offline'},
                      d.online ? 'online' : 'offline'), ' ',
        h('span', {class: 'muted'}, fmtAgo(d.lastSeenAt))),
      h('td', null, labelChips(f.labels)),
      h('td', null, (d.needs || []).map((n) => h('span', {class: 'chip need',
                                                         title: n.advice || undefined},
                                                    words(n.need || '')))));
  }

  function labelChips(labels) {
    return Object.entries(labels || {}).map(([k, v]) =>
        h('span', {class: 'chip label', testid: 'device-label', title: `${k}=${v}`},
          `${k}=${v}`));
  }

  // ------------------------------------------------------- device view ---

  function deviceView(route) {
    const id = route.id;
    const box = h('div', {class: 'loading'}, 'Loading…');
    const root = h('div', {class: 'device-detail', testid: 'device-detail',
                           data: {'device-id': id}},
      h('p', {class: 'crumbs'}, h('a', {href: '#/'}, 'Fleet'), ' › ',
        h('a', {href: '#/devices'}, 'Devices'), ' › ', id),
      box);
    let current = box;
    async function load() {
      return api('api/v1/devices/' + enc(id));
    }
    function render(d) {
      const next = renderDevice(d);
      current.replaceWith(next);
      current = next;
    }
    return {root, load, render};
  }

  const yesNo = (v) => (v ? 'yes' : 'no');
  const feature = (v) => words(short(v, 'FEATURE_STATE_'));

  // Fact rows in reading order; other fields are listed after them.
  const FACT_ROWS = [
    ['domain', 'domain'],
    ['osProduct', 'OS product'],
    ['osVersion', 'OS version'],
    ['osBuild', 'OS build'],
    ['osFamily', 'OS family', (v) => OS_LABELS[osFamily(v)] || osFamily(v)],
    ['mdeState', 'MDE state', (v) => words(mdeState(v))],
    ['sensorInstalled', 'Sense service installed', yesNo],
    ['senseState', 'Sense service', (v) => words(short(v, 'SERVICE_STATE_'))],
    ['onboardingState', 'OnboardingState'],
    ['orgId', 'org id'],
    ['mdeMachineId', 'Defender machine id'],
    ['avMode', 'Defender Antivirus', (v) => words(short(v, 'AV_MODE_'))],
    ['thirdPartyAv', 'third-party AV'],
    ['passiveModeForced', 'passive mode forced', yesNo],
    ['tamperProtection', 'tamper protection', feature],
    ['tamperProtectionSource', 'tamper protection source'],
    ['cloudProtection', 'cloud protection', feature],
    ['mmaInstalled', 'MMA installed', yesNo],
    ['mmaWorkspaces', 'MMA workspaces', (v) => (v || []).join(', ') || '—'],
    ['rebootPending', 'reboot pending', yesNo],
    ['bootTime', 'boot time', (v) => timeEl(v)],
    ['utcOffsetMinutes', 'UTC offset', (v) => {
      const m = num(v);
      return `UTC${m < 0 ? '−' : '+'}${pad(Math.floor(Math.abs(m) / 60))}:${pad(Math.abs(m) % 60)}`;
    }],
    ['runnerVersion', 'runner version'],
    ['hostIdentitySha256', 'host identity SHA-256'],
    ['senseGuidSha256', 'senseGuid SHA-256'],
  ];
  // "disableEnterpriseAuthProxy" -> "disable enterprise auth proxy".
  const camelWords = (key) => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  const HIDDEN_FACTS = new Set(['hostname', 'labels']);

  // Any JSON value as text (nested objects as "key: value; ...").
  function valueText(v) {
    if (v === undefined || v === null || v === '') return '—';
    if (Array.isArray(v)) return v.map(valueText).join(', ') || '—';
    if (typeof v === 'object') {
      return Object.entries(v).map(([k, x]) => `${k}: ${valueText(x)}`).join('; ') || '—';
    }
    return String(v);
  }

  function renderDevice(d) {
    const f = d.facts || {};
    const rows = [];
    const seen = new Set(HIDDEN_FACTS);
    for (const [key, label, fmt] of FACT_ROWS) {
      seen.add(key);
      if (!(key in f)) continue;
      const v = f[key];
      rows.push([label, fmt ? fmt(v) : valueText(v), key]);
    }
    for (const [key, v] of Object.entries(f)) {
      if (seen.has(key)) continue;
      if (key === 'proxy' || key === 'cloudConnection') {
        for (const [k, x] of Object.entries(v || {})) {
          rows.push([`${camelWords(key)}: ${camelWords(k)}`, valueText(x), `${key}.${k}`]);
        }
        continue;
      }
      rows.push([camelWords(key), valueText(v), key]);
    }
    const needs = d.needs || [];
    const revoked = !!d.revokedAt;
    return h('div', {class: 'device'},
      h('section', {class: 'panel'},
        h('h1', null, h('span', {class: 'host', testid: 'device-hostname'}, f.hostname || ''),
          ' ', h('span', {class: d.online ? 'online' : 'offline', testid: 'device-online'},
                 d.online ? 'online' : 'offline'),
          revoked ? h('span', {class: 'badge st-failed'}, 'revoked') : null),
        h('dl', {class: 'facts-inline'},
          h('dt', null, 'device id'), h('dd', {testid: 'device-id'}, d.id || ''),
          h('dt', null, 'last seen'), h('dd', null, timeEl(d.lastSeenAt), ` (${fmtAgo(d.lastSeenAt)})`),
          h('dt', null, 'enrolled'), h('dd', null, timeEl(d.enrolledAt)),
          revoked ? [h('dt', null, 'revoked'),
                     h('dd', null, timeEl(d.revokedAt), ' ', d.revokedReason || '')] : null,
          d.runnerCloneSeenAt ? [h('dt', null, 'copied runner seen'),
                                 h('dd', null, timeEl(d.runnerCloneSeenAt))] : null,
          (d.cloneOf || []).length ? [h('dt', null, 'clone of'),
            h('dd', null, d.cloneOf.map((c) => h('a', {href: '#/devices/' + enc(c)}, c, ' ')))] : null,
          (d.hostnameSharedWith || []).length ? [h('dt', null, 'host name also reported by'),
            h('dd', {testid: 'device-hostname-shared-with'},
              d.hostnameSharedWith.map((c) => h('a', {href: '#/devices/' + enc(c)}, c, ' ')))] :
              null)),
      h('div', {class: 'grid-2'},
        section('Needs', 'device-needs',
          needs.length ? h('ul', {class: 'needs-list'}, needs.map((n) =>
              h('li', {testid: 'device-need'},
                h('strong', null, words(n.need || '')),
                n.jobKind ? [' — run ', h('code', null, n.jobKind)] : null,
                n.advice ? h('div', {class: 'muted'}, n.advice) : null))) :
              h('p', {class: 'muted'}, 'Nothing: this device needs no action.'),
          h('h2', null, 'Labels'),
          h('div', {testid: 'device-labels'},
            Object.keys(f.labels || {}).length ? labelChips(f.labels) :
                h('span', {class: 'muted'}, 'No labels.'))),
        section('Facts', 'device-facts',
          h('table', {class: 'facts'}, h('tbody', null, rows.map(([label, value, key]) =>
              h('tr', {data: {fact: key}}, h('th', {scope: 'row'}, label),
                h('td', null, value))))))));
  }

  // --------------------------------------------------------- main loop ---

  const VIEWS = {home: homeView, jobs: jobsView, job: jobView,
                 devices: devicesView, device: deviceView};
  let view = null;
  let lastOk = 0;
  let inFlight = false;
  let again = false;
  let timer = null;
  let failing = false;

  function showBanner(text) {
    const b = $('banner');
    b.replaceChildren(inert(text));
    b.hidden = false;
  }
  function hideBanner() {
    $('banner').hidden = true;
  }

  function showLogin(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('login').hidden = false;
    $('view').hidden = true;
    $('sign-out').hidden = true;
    hideBanner();
    $('login-message').replaceChildren(inert(message || ''));
    $('login-message').hidden = !message;
    $('token-input').value = '';
    $('token-input').focus();
    $('updated').replaceChildren('signed out');
  }

  function hideLogin() {
    $('login').hidden = true;
    $('view').hidden = false;
    $('sign-out').hidden = false;
  }

  function navigate() {
    const route = parseRoute();
    for (const a of document.querySelectorAll('[data-nav]')) {
      const on = a.getAttribute('data-nav') === route.name ||
          (route.name === 'job' && a.getAttribute('data-nav') === 'jobs') ||
          (route.name === 'device' && a.getAttribute('data-nav') === 'devices');
      a.classList.toggle('active', on);
    }
    view = VIEWS[route.name](route);
    lastOk = 0;  // "updated Xs ago" speaks of the view on screen
    failing = false;
    $('view').replaceChildren(view.root);
    $('view').setAttribute('data-route', route.name);
    refreshNow();
  }

  function refreshNow() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    tick();
  }

  async function tick() {
    timer = null;
    if (!getToken() || !view) return;
    if (document.hidden) {
      updateAgo();
      return;  // visibilitychange starts polling again
    }
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    const forView = view;
    try {
      const data = await forView.load();
      if (forView === view) {
        forView.render(data);
        lastOk = Date.now();
        failing = false;
        hideBanner();
        $('view').setAttribute('data-loaded', String(lastOk));
      }
    } catch (e) {
      handleError(e);
    } finally {
      inFlight = false;
    }
    updateAgo();
    if (!getToken()) return;
    if (again) {
      again = false;
      tick();
      return;
    }
    timer = setTimeout(tick, POLL_MS);
  }

  function handleError(e) {
    if (e instanceof AuthError) {
      if (e.status === 0) {
        showLogin('');
      } else if (e.status === 401) {
        showLogin(`The server refused this token (401${e.code ? ' ' + e.code : ''}` +
            `${e.message ? ': ' + e.message : ''}). Enter a valid API token ` +
            'with the viewer role or higher.');
      } else {
        showLogin(`This credential may not read the dashboard (403${e.code ? ' ' + e.code : ''}` +
            `${e.message ? ': ' + e.message : ''}). Use an API token with the viewer ` +
            'role or higher, not a device token or enrollment secret.');
      }
      return;
    }
    failing = true;
    if (e instanceof Unreachable) {
      showBanner(`Cannot reach the mdefleet server (${e.message}). ` +
          `Retrying every ${POLL_MS / 1000} s; the data below may be stale.`);
    } else if (e instanceof ApiError) {
      const text = `The server answered ${e.status} ${e.code}: ${e.message}`;
      showBanner(text);
      // A view that never loaded (an unknown id) says why in place.
      for (const el of view.root.querySelectorAll('.loading')) {
        el.replaceChildren(inert(text));
      }
    } else {
      showBanner(`The dashboard failed to show this answer: ${e && e.message}`);
      console.error(e);
    }
  }

  function updateAgo() {
    const el = $('updated');
    if (!getToken()) return;
    let text;
    if (!lastOk) {
      text = failing ? 'not updated yet' : 'loading…';
    } else {
      const s = Math.max(0, Math.round((Date.now() - lastOk) / 1000));
      text = `updated ${s}s ago`;
    }
    if (document.hidden) text += ' (paused while hidden)';
    el.replaceChildren(text);
    el.classList.toggle('stale', failing);
  }

  function start() {
    $('login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const token = $('token-input').value.trim();
      if (!token) {
        $('login-message').replaceChildren('Enter a token.');
        $('login-message').hidden = false;
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, token);
      $('token-input').value = '';
      hideLogin();
      lastOk = 0;
      navigate();
    });
    $('sign-out').addEventListener('click', () => {
      showLogin('Token forgotten. Enter one to continue.');
    });
    window.addEventListener('hashchange', () => {
      if (getToken()) navigate();
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && getToken()) refreshNow();
      updateAgo();
    });
    setInterval(updateAgo, 1000);
    if (getToken()) {
      hideLogin();
      navigate();
    } else {
      showLogin('');
    }
  }

  start();
})();
