/**
 * The README's walk-through, as a script: one project from registration to decision, through the
 * public API only, the way a client would call it. Run it against a started service:
 *
 *   npm start                  # in one terminal
 *   npm run walkthrough        # in another (same DATA_DIR, so the token command finds the key)
 *
 * API (default http://127.0.0.1:3000) says where the service listens. The README shows this file
 * verbatim and a test runs it against a service started by `npm start`'s entry, so neither can drift.
 */
import { execFileSync } from 'node:child_process';

const API = process.env.API ?? 'http://127.0.0.1:3000';

/** A token for a person, from the service's own token command (embedded mode). */
function token(...args: string[]): string {
  return execFileSync('npm', ['run', '--silent', 'token', '--', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** One JSON call; any answer outside 2xx stops the walk-through with the service's own error. */
async function call(who: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: { authorization: `Bearer ${who}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** A small real PDF standing in for a scanned dossier component. */
function pdf(title: string): Blob {
  const text = `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% ${title}\ntrailer << /Root 1 0 R >>\n%%EOF\n`;
  return new Blob([text], { type: 'application/pdf' });
}

/** Multipart upload: the `component` field first, then the file. */
async function upload(who: string, projectId: string, component: string): Promise<any> {
  const form = new FormData();
  form.append('component', component);
  form.append('file', pdf(component), `${component}.pdf`);
  const res = await fetch(`${API}/v1/projects/${projectId}/documents`, { method: 'POST', headers: { authorization: `Bearer ${who}` }, body: form });
  const answer = await res.json();
  if (res.status !== 201) throw new Error(`upload ${component} → ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

const say = (line: string) => console.log(line);

async function main() {
  // 0. People. `npm run --silent token` prints a token signed with the service's local key.
  const alice = token('--sub', 'alice', '--role', 'investor', '--org', 'acme', '--name', 'Công ty ACME');
  const carol = token('--sub', 'carol', '--role', 'clerk');
  const ann = token('--sub', 'ann', '--role', 'appraiser', '--org', 'dost');
  const paul = token('--sub', 'paul', '--role', 'approver', '--org', 'ppc');
  const audrey = token('--sub', 'audrey', '--role', 'auditor');

  // 1. The investor registers a project (draft) and declares its technology and machinery.
  const project = await call(alice, 'POST', '/v1/projects', {
    name: 'Nhà máy xi măng Hạ Long — dây chuyền 2',
    sector: 'cement',
    location: 'Hoành Bồ, Quảng Ninh',
    capitalVnd: 2_500_000_000_000,
    stage: 'investment_policy',
    group: 'B',
    capitalSource: 'private',
    decidingLevel: 'provincial_peoples_committee',
    environmentalGroup: 'II',
  });
  const id = project.id;
  say(`1. alice registered ${project.code} (${project.state}) under rulebook ${project.rulebookVersion.version}`);
  await call(alice, 'PUT', `/v1/projects/${id}/technology`, {
    technologies: [{ name: 'Dry-process rotary kiln with five-stage preheater', origin: 'Germany' }],
    machinery: [{ name: 'Vertical roller mill', hsCode: '8474.20', manufactureYear: 2025, condition: 'new', standards: ['QCVN 05:2023/BTNMT'] }],
  });
  say('   declared 1 technology and 1 machine');

  // 2. The dossier: one file per component the checklist still misses (GET …/documents says which).
  const { checklist } = await call(alice, 'GET', `/v1/projects/${id}/documents`);
  for (const component of checklist.missing) {
    const doc = await upload(alice, id, component);
    say(`2. uploaded ${component}: version ${doc.version}, ${doc.size} bytes, sha256 ${doc.sha256.slice(0, 12)}…, scan ${doc.scan.status}`);
  }

  // 3. Submit: screening runs under the rulebook in force; findings say what the law asks for.
  await call(alice, 'POST', `/v1/projects/${id}/submit`);
  const findings = await call(alice, 'GET', `/v1/projects/${id}/findings`);
  say(`3. submitted; route: ${findings.route.required ? 'review required' : 'no review required by law'} — ${findings.route.form} by ${findings.route.body} (${findings.route.citation})`);
  for (const f of findings.findings) say(`   finding ${f.severity}: ${f.evidence}`);

  // 4. The clerk asks for one component again, itemised; the investor answers with a new version.
  const asked = checklist.required[0].component;
  await call(carol, 'POST', `/v1/projects/${id}/completeness`, { result: 'incomplete', missing: [asked], note: 'The scan is illegible; please upload a clearer copy.' });
  say(`4. carol asked for ${asked} again`);
  const again = await upload(alice, id, asked);
  await call(alice, 'POST', `/v1/projects/${id}/resubmit`);
  say(`   alice uploaded version ${again.version} and resubmitted`);

  // 5. The clerk accepts the dossier (the rulebook version is pinned now) and assigns an appraiser,
  //    who must have used the service once so the directory knows her.
  await call(ann, 'GET', '/v1/projects');
  const accepted = await call(carol, 'POST', `/v1/projects/${id}/completeness`, { result: 'complete' });
  await call(carol, 'POST', `/v1/projects/${id}/assignments`, { appraisers: ['ann'], mode: 'opinion' });
  say(`5. carol accepted the dossier (${accepted.state}) and assigned ann`);
  const clock = await call(alice, 'GET', `/v1/projects/${id}`);
  say(`   appointment date ${clock.appointmentDate}; ${clock.deadlines.map((d: { step: string; limit: number; unit: string; dueAt: string; status: string }) => `${d.step} ${d.limit} ${d.unit} due ${d.dueAt} (${d.status})`).join('; ')}`);
  const { items: slips } = await call(alice, 'GET', `/v1/projects/${id}/slips`);
  for (const slip of slips) say(`   slip ${slip.form} no. ${slip.number}, sha256 ${slip.sha256.slice(0, 12)}…, verification code ${slip.verificationCode}`);

  // 6. The appraiser gives a verdict per criterion of the pinned rulebook, on the exact versions read.
  const view = await call(ann, 'GET', `/v1/projects/${id}`);
  const rulebook = await call(ann, 'GET', `/v1/rulebooks/${view.rulebookVersion.version}`);
  const documents = await call(ann, 'GET', `/v1/projects/${id}/documents`);
  await call(ann, 'POST', `/v1/projects/${id}/opinions`, {
    criteria: rulebook.content.criteria.investment_policy.map((c: { id: string }) => ({ criterion: c.id, verdict: 'meets', comment: 'Checked against the dossier' })),
    recommendation: 'approve',
    conditions: [],
    documentsReviewed: documents.current.map((d: { id: string; sha256: string }) => ({ documentId: d.id, sha256: d.sha256 })),
    conflictOfInterest: { declared: false },
  });
  say(`6. ann recorded her opinion on ${documents.current.length} documents: approve`);

  // 7. The approver decides.
  const decided = await call(paul, 'POST', `/v1/projects/${id}/decision`, { outcome: 'approved', reasons: [{ text: 'The technology meets every criterion of Art. 19' }] });
  say(`7. paul decided: ${decided.state}`);

  // 8. Anyone who may see the project reads its history; the auditor verifies the whole log.
  const history = await call(alice, 'GET', `/v1/projects/${id}/history`);
  say(`8. history: ${history.events.map((e: { action: string }) => e.action).join(' → ')}`);
  const verify = await call(audrey, 'GET', '/v1/audit/verify?full=true'); // the whole log, not only what followed the last checkpoint
  const coverage = await call(audrey, 'GET', '/v1/reports/coverage');
  say(`   audit log verified (${verify.mode}): ${verify.ok} (${verify.checked} events); coverage violations: ${coverage.violations.length}`);
  const onTime = await call(audrey, 'GET', '/v1/reports/on-time');
  say(`   on-time report: ${JSON.stringify(onTime.overall)}`);
}

main().catch((err) => {
  console.error(`walk-through failed: ${(err as Error).message}`);
  process.exit(1);
});
