// A developer tool, not a test: serves the dashboard files from
// server/http/dashboard with the real server's security headers, and canned
// /api/v1 JSON (the protobuf JSON mapping of admin.proto's messages) for a
// fleet with an onboard rollout whose counts advance over time. One device's
// hostname is an HTML/JS injection string. docs/testing.md shows how to use
// it with dashboard_check.mjs; the real test runs against mdefleet-server
// (tests/e2e/dashboard_browser_test.cc).
//
//   node tests/browser/fixture_server.mjs [--port 8099] [--token T]
//        [--task-seconds 3]
//
// Prints "fixture: http://127.0.0.1:PORT token=T" once it listens.
import {readFileSync} from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const dashboardDir = path.resolve(here, '../../server/http/dashboard');

const {values: opts} = parseArgs({
  options: {
    port: {type: 'string', default: '0'},
    token: {type: 'string', default: 'mdf_api_fixture_viewer'},
    'task-seconds': {type: 'string', default: '3'},
  },
});
const TASK_MS = Number(opts['task-seconds']) * 1000;
if (!(TASK_MS > 0)) {
  console.error('fixture: --task-seconds must be a positive number');
  process.exit(2);
}

// The headers every mdefleet-server HTTP answer carries (the brief's list).
const SECURITY_HEADERS = {
  'Content-Security-Policy':
      "default-src 'none'; script-src 'self'; style-src 'self'; " +
      "img-src 'self' data:; connect-src 'self'; base-uri 'none'; " +
      "form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export const XSS_HOSTNAME =
    '<img src=x onerror="window.pwned=1">"><script>window.pwned=2</script>';
const XSS_LABEL = '<script>alert(document.domain)</script><b>bold</b>';

const started = Date.now();
const iso = (ms) => new Date(ms).toISOString();

// ---- the fleet
const FAMILIES = ['OS_FAMILY_WS2012R2', 'OS_FAMILY_WS2016', 'OS_FAMILY_WS2019',
                  'OS_FAMILY_WS2022', 'OS_FAMILY_WS2025'];
const devices = [];
for (let i = 0; i < 24; i++) {
  const family = FAMILIES[[2, 2, 3, 3, 1, 4, 0, 2][i % 8]];
  const short = family.replace('OS_FAMILY_', '');
  const mde = i % 6 === 0 ? 'MDE_STATE_ONBOARDED' :
      family === 'OS_FAMILY_WS2012R2' || family === 'OS_FAMILY_WS2016' ?
      'MDE_STATE_NOT_INSTALLED' : 'MDE_STATE_NOT_ONBOARDED';
  devices.push(makeDevice(`dev-${String(i).padStart(4, '0')}fx`,
                          `SIM-${short}-${String(1000 + i * 37).slice(-4)}`,
                          family, mde, {site: i % 2 ? 'fra' : 'ams',
                                        role: ['web', 'db', 'app'][i % 3]},
                          i % 7 !== 5));
}
const xssDevice = makeDevice('dev-xss0000fx', XSS_HOSTNAME, 'OS_FAMILY_WS2019',
                             'MDE_STATE_NOT_ONBOARDED',
                             {site: XSS_LABEL, role: 'web'}, false);
devices.push(xssDevice);

function makeDevice(id, hostname, family, mde, labels, online) {
  const onboarded = mde === 'MDE_STATE_ONBOARDED';
  const needs = [];
  if (mde === 'MDE_STATE_NOT_INSTALLED') {
    needs.push({need: 'not_installed', jobKind: 'install',
                advice: 'install the unified agent (md4ws.msi) first'});
  } else if (!onboarded) {
    needs.push({need: 'not_onboarded', jobKind: 'onboard',
                advice: 'run an onboard job'});
  }
  if (!online) {
    needs.push({need: 'offline', jobKind: '',
                advice: 'the runner has not polled for a while'});
  }
  return {
    id,
    facts: {
      hostname, domain: 'corp.example', osProduct: 'Windows Server Datacenter',
      osVersion: '10.0.17763.5122', osBuild: 17763, osFamily: family,
      runnerVersion: '0.7.0', labels, sensorInstalled: mde !== 'MDE_STATE_NOT_INSTALLED',
      senseState: onboarded ? 'SERVICE_STATE_RUNNING' : 'SERVICE_STATE_STOPPED',
      onboardingState: onboarded ? 1 : 0, mmaWorkspaces: [], mmaInstalled: false,
      thirdPartyAv: '', passiveModeForced: false, rebootPending: false,
      mdeState: mde, bootTime: iso(started - 86400e3), hostIdentitySha256: `${id}`.padEnd(64, '0'),
      utcOffsetMinutes: 60, mdeMachineId: '', orgId: '', senseGuidSha256: '',
      avMode: 'AV_MODE_ACTIVE', tamperProtection: 'FEATURE_STATE_ON',
      tamperProtectionSource: 'ATP', cloudProtection: 'FEATURE_STATE_ON',
      proxy: {edrProxy: '', disableEnterpriseAuthProxy: false,
              preferStaticProxy: false, avProxy: '', avProxyPacUrl: '',
              avProxyBypass: '', winhttpProxy: '', winhttpBypass: ''},
    },
    enrolledAt: iso(started - 3600e3),
    lastSeenAt: iso(online ? started : started - 9 * 86400e3),
    online,
    cloneOf: [],
    needs,
    revokedReason: '',
  };
}

// ---- the rollout: onboard on every not-onboarded device, 3 in flight; a
// task takes TASK_MS (--task-seconds); every fifth fails its connectivity precheck; the
// injection-named device is offline, so its task stays queued.
const STEPS = [['precheck_connectivity', 0.15], ['precheck_passive_mode', 0.1],
               ['run_onboarding_script', 0.55], ['verify_sense_running', 0.2]];
const IN_FLIGHT = 3;
const jobId = 'job-fx-onboard';
const targets = devices.filter((d) => d.facts.mdeState === 'MDE_STATE_NOT_ONBOARDED');
// The rollout starts over 8 s after it ends, so the fixture can stay up.
const CYCLE_MS = 2000 + Math.ceil(targets.filter((d) => d.online).length /
                                  IN_FLIGHT) * TASK_MS + 8000;
let jobCreated = started - 2000;
function advanceCycle(now) {
  while (now - jobCreated >= CYCLE_MS) jobCreated += CYCLE_MS;
}

function taskAt(index, device, now) {
  const runs = device.online;
  const slot = targets.filter((d) => d.online).indexOf(device);
  const begin = jobCreated + 2000 + Math.floor(slot / IN_FLIGHT) * TASK_MS;
  const fails = slot % 5 === 4;
  const task = {
    id: `task-${String(index).padStart(3, '0')}`, jobId, deviceId: device.id,
    hostname: device.facts.hostname, state: 'TASK_STATE_QUEUED', attempt: 1,
    message: '', steps: [], createdAt: iso(jobCreated),
  };
  let t = begin;
  let stopped = false;
  STEPS.forEach(([name, share], i) => {
    const step = {index: i, name, state: 'STEP_STATE_PENDING', message: '',
                  outputTail: ''};
    const end = t + share * TASK_MS;
    if (runs && !stopped && now >= t) {
      step.startedAt = iso(t);
      if (now >= end) {
        step.finishedAt = iso(end);
        if (fails && i === 0) {
          step.state = 'STEP_STATE_FAILED';
          step.exitCode = 1;
          step.message = 'cannot reach the Defender cloud ' +
              '(winatp-gw-weu.microsoft.com:443): check the proxy; ' +
              'run connectivity_test';
          step.outputTail = 'Test-NetConnection winatp-gw-weu.microsoft.com -Port 443\n' +
              'TcpTestSucceeded : False';
          stopped = true;
        } else {
          step.state = 'STEP_STATE_SUCCEEDED';
          step.message = i === 3 ? 'Sense is running, OnboardingState=1' : '';
        }
      } else {
        step.state = 'STEP_STATE_RUNNING';
        stopped = true;
      }
    } else if (stopped && runs && task.steps.some((s) => s.state === 'STEP_STATE_FAILED')) {
      step.state = 'STEP_STATE_SKIPPED';
    }
    t = end;
    task.steps.push(step);
  });
  const states = task.steps.map((s) => s.state);
  if (!runs || now < begin) {
    task.state = 'TASK_STATE_QUEUED';
  } else if (states.includes('STEP_STATE_FAILED')) {
    task.state = 'TASK_STATE_FAILED';
    task.message = task.steps[0].message;
  } else if (states.every((s) => s === 'STEP_STATE_SUCCEEDED')) {
    task.state = 'TASK_STATE_SUCCEEDED';
  } else {
    task.state = 'TASK_STATE_RUNNING';
  }
  if (runs && now >= begin) task.startedAt = iso(begin);
  if (task.state === 'TASK_STATE_SUCCEEDED' || task.state === 'TASK_STATE_FAILED') {
    const last = task.steps.filter((s) => s.finishedAt).pop();
    task.finishedAt = last.finishedAt;
  }
  return task;
}

function tasksNow() {
  const now = Date.now();
  advanceCycle(now);
  return targets.map((d, i) => taskAt(i, d, now));
}

const COUNT_KEYS = {TASK_STATE_QUEUED: 'queued', TASK_STATE_LEASED: 'leased',
                    TASK_STATE_RUNNING: 'running', TASK_STATE_SUCCEEDED: 'succeeded',
                    TASK_STATE_FAILED: 'failed', TASK_STATE_SKIPPED: 'skipped',
                    TASK_STATE_CANCELLED: 'cancelled', TASK_STATE_TIMED_OUT: 'timedOut',
                    TASK_STATE_EXPIRED: 'expired'};

function counts(tasks) {
  const c = {total: tasks.length, queued: 0, leased: 0, running: 0, succeeded: 0,
             failed: 0, skipped: 0, cancelled: 0, timedOut: 0, expired: 0};
  for (const t of tasks) c[COUNT_KEYS[t.state]]++;
  return c;
}

function rolloutJob(details) {
  const tasks = tasksNow();  // first: it moves jobCreated to this cycle
  const job = {
    id: jobId,
    spec: {kind: 'onboard',
           parameters: {onboardingScriptId: 'a'.repeat(64)},
           target: {all: true, deviceIds: [], hostnameGlob: '', labels: {}, osFamilies: []},
           policy: {maxInFlight: IN_FLIGHT, canary: 0, canaryApproval: false,
                    retries: 0, maintenanceWindows: [],
                    maintenanceScope: 'MAINTENANCE_SCOPE_REBOOT_STEPS'}},
    state: 'JOB_STATE_RUNNING', stateReason: '', createdBy: 'admin',
    createdAt: iso(jobCreated), counts: counts(tasks), failingSteps: [],
    stepSummary: [],
    rollout: {wave: 1, waveLeased: 0, waveSize: 0, pauseCause: 'PAUSE_CAUSE_UNSPECIFIED',
              deadlineCapped: false, queuedOffline: 1, retryWaiting: 0, apiWaiting: 0},
  };
  if (!details) return job;
  const failures = new Map();
  const summary = STEPS.map(([name]) => ({stepName: name, pending: 0, running: 0,
                                          succeeded: 0, failed: 0, skipped: 0}));
  for (const t of tasks) {
    t.steps.forEach((s, i) => {
      summary[i][s.state.replace('STEP_STATE_', '').toLowerCase()]++;
      if (s.state === 'STEP_STATE_FAILED') {
        const key = `${s.name}\n${s.message}`;
        failures.set(key, (failures.get(key) || 0) + 1);
      }
    });
  }
  job.failingSteps = [...failures].map(([key, count]) => {
    const [stepName, message] = key.split('\n');
    return {stepName, message, count};
  });
  job.stepSummary = summary;
  return job;
}

const doneJob = {
  id: 'job-fx-health', spec: {kind: 'health_check', parameters: {},
    target: {all: false, deviceIds: [], hostnameGlob: 'SIM-WS2019-*', labels: {},
             osFamilies: []}, policy: {maxInFlight: 0}},
  state: 'JOB_STATE_SUCCEEDED', stateReason: '', createdBy: 'admin',
  createdAt: iso(started - 7200e3), finishedAt: iso(started - 7100e3),
  counts: {total: 7, queued: 0, leased: 0, running: 0, succeeded: 7, failed: 0,
           skipped: 0, cancelled: 0, timedOut: 0, expired: 0},
  failingSteps: [], stepSummary: [], rollout: {wave: 1},
};

// ---- HTTP
function send(res, status, body, type) {
  res.writeHead(status, {...SECURITY_HEADERS, 'Content-Type': type});
  res.end(body);
}
const json = (res, status, obj) =>
  send(res, status, JSON.stringify(obj), 'application/json; charset=utf-8');
const error = (res, status, code, message) => json(res, status, {code, message});

const STATIC = {'/': 'index.html', '/index.html': 'index.html',
                '/app.js': 'app.js', '/inert.js': 'inert.js', '/style.css': 'style.css'};
const TYPES = {'.html': 'text/html; charset=utf-8',
               '.js': 'text/javascript; charset=utf-8',
               '.css': 'text/css; charset=utf-8'};

function globToRegExp(glob) {
  const esc = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${esc}$`, 'i');
}

function page(list, q, key) {
  const size = Math.min(Number(q.get('page_size') || 500), 5000);
  const from = Number(q.get('page_token') || 0);
  const items = list.slice(from, from + size);
  const next = from + size < list.length ? String(from + size) : '';
  return {[key]: items, nextPageToken: next};
}

function api(req, res, url) {
  const auth = req.headers.authorization || '';
  const m = /^Bearer (.+)$/.exec(auth);
  if (!m) {
    res.setHeader('WWW-Authenticate', 'Bearer');
    return error(res, 401, 'UNAUTHENTICATED', 'authorization: missing bearer token');
  }
  if (m[1].startsWith('mdf_dev_')) {
    return error(res, 403, 'PERMISSION_DENIED',
                 'authorization: a device token cannot read the API');
  }
  if (m[1] !== opts.token) {
    res.setHeader('WWW-Authenticate', 'Bearer');
    return error(res, 401, 'UNAUTHENTICATED', 'authorization: unknown token');
  }
  const q = url.searchParams;
  const p = url.pathname;
  if (p === '/api/v1/summary') {
    const cells = new Map();
    for (const d of devices) {
      const key = `${d.facts.osFamily}|${d.facts.mdeState}`;
      cells.set(key, (cells.get(key) || 0) + 1);
    }
    const needCount = (n) => devices.filter((d) => d.needs.some((x) => x.need === n)).length;
    return json(res, 200, {
      total: devices.length, online: devices.filter((d) => d.online).length,
      cells: [...cells].map(([k, n]) => {
        const [osFamily, mdeState] = k.split('|');
        return {osFamily, mdeState, devices: n};
      }),
      needs: [
        {need: {need: 'not_installed', jobKind: 'install', advice: 'install md4ws.msi'},
         description: 'Sensor not installed (2012 R2/2016)', devices: needCount('not_installed')},
        {need: {need: 'not_onboarded', jobKind: 'onboard', advice: 'run onboard'},
         description: 'Not onboarded to Defender for Endpoint', devices: needCount('not_onboarded')},
        {need: {need: 'mma', jobKind: 'migrate_mma', advice: 'remove the MMA workspace'},
         description: 'Still reports to an MMA workspace', devices: 0},
        {need: {need: 'offline', jobKind: 'api_offboard', advice: 'offboard through the API'},
         description: 'Offline for 7 days or more', devices: needCount('offline')},
      ],
      offlineFor: '604800s',
    });
  }
  if (p === '/api/v1/jobs') {
    const state = q.get('state') || '';
    const jobs = [rolloutJob(false), doneJob].filter(
        (j) => !state || j.state === `JOB_STATE_${state.toUpperCase()}` || j.state === state);
    return json(res, 200, {jobs});
  }
  let r = /^\/api\/v1\/jobs\/([^/]+)(\/tasks)?$/.exec(p);
  if (r) {
    const id = decodeURIComponent(r[1]);
    if (id !== jobId && id !== doneJob.id) {
      return error(res, 404, 'NOT_FOUND', `job_id: no job "${id}"`);
    }
    if (!r[2]) return json(res, 200, id === jobId ? rolloutJob(true) : doneJob);
    let tasks = id === jobId ? tasksNow() : [];
    const state = q.get('state');
    if (state) tasks = tasks.filter((t) => t.state === `TASK_STATE_${state.toUpperCase()}`);
    return json(res, 200, page(tasks, q, 'tasks'));
  }
  if (p === '/api/v1/devices') {
    let list = devices;
    const eq = (name, prefix, get) => {
      const v = q.get(name);
      if (v) list = list.filter((d) => get(d) === `${prefix}${v.toUpperCase()}`);
    };
    eq('os_family', 'OS_FAMILY_', (d) => d.facts.osFamily);
    eq('mde_state', 'MDE_STATE_', (d) => d.facts.mdeState);
    if (q.get('hostname')) {
      const re = globToRegExp(q.get('hostname'));
      list = list.filter((d) => re.test(d.facts.hostname));
    }
    if (q.get('label')) {
      const [k, v] = q.get('label').split('=');
      if (v === undefined) {
        return error(res, 400, 'INVALID_ARGUMENT', 'label: expected key=value');
      }
      list = list.filter((d) => d.facts.labels[k] === v);
    }
    if (q.get('needs')) list = list.filter((d) => d.needs.some((n) => n.jobKind === q.get('needs')));
    return json(res, 200, {...page(list, q, 'devices'), total: list.length});
  }
  r = /^\/api\/v1\/devices\/([^/]+)$/.exec(p);
  if (r) {
    const id = decodeURIComponent(r[1]);
    const d = devices.find((x) => x.id === id);
    return d ? json(res, 200, d) : error(res, 404, 'NOT_FOUND', `device_id: no device "${id}"`);
  }
  return error(res, 404, 'NOT_FOUND', `no route ${p}`);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://fixture');
  if (req.method !== 'GET') return error(res, 405, 'METHOD_NOT_ALLOWED', 'GET only');
  if (url.pathname.startsWith('/api/')) return api(req, res, url);
  const file = STATIC[url.pathname];
  if (!file) return error(res, 404, 'NOT_FOUND', `no route ${url.pathname}`);
  const body = readFileSync(path.join(dashboardDir, file));
  return send(res, 200, body, TYPES[path.extname(file)]);
});

server.listen(Number(opts.port), '127.0.0.1', () => {
  console.log(`fixture: http://127.0.0.1:${server.address().port} token=${opts.token}`);
  console.log(`fixture: job ${jobId}; injection hostname ${JSON.stringify(XSS_HOSTNAME)}`);
});
