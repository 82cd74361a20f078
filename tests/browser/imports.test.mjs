// imports.test.mjs — a station user uploads a rollout file through the form on /imports,
// watches it go up and finish, and sees the station's coverage change on the unit page
// and in the coverage API.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { DESKTOP, check, equal, login } from './lib/pages.mjs';

const STATION = 'QH-S03';
const INSTALLS = 25;

/* The coverage block of a unit page: {rate (text), points, smart}. */
async function coverageBlock(page) {
	const items = await page.locator('section.coverage ul.figures > li').allInnerTexts();
	const num = (i) => Number(/\d+/.exec(items[i] ?? '')?.[0]);
	return { rate: /^\s*(\d+\.\d%)/.exec(items[0] ?? '')?.[1] ?? null, points: num(1), smart: num(2) };
}

/* A native rollout file installing smart meters on the given points today. */
function rolloutFile(points, day) {
	const events = points.map((p, i) => `    <install meter="browser-test-${i}" serial="BT-${String(i).padStart(6, '0')}" ` +
		`manufacturer="Browser Test Meters" model="BT-1" point="${p}" date="${day}"/>`).join('\n');
	return `<?xml version="1.0" encoding="UTF-8"?>
<rollout xmlns="urn:gridscore:rollout:1" station="${STATION}" file-id="browser-test-${Date.now()}"
         generated-at="${day}T09:00:00+08:00">
  <events>
${events}
  </events>
</rollout>
`;
}

export const tests = [{
	name: 'station user uploads a rollout file and sees the station coverage change',
	async run(t) {
		const server = await t.server();
		const ctx = await t.newContext({ ...DESKTOP, baseURL: server.url });
		const page = await ctx.newPage();
		await login(page, server, 'station-s03');

		/* Before: the unit page and the API agree; the uncovered points come from the CSV. */
		const covUrl = `/api/v1/units/${STATION}/coverage`;
		const before = await (await page.request.get(covUrl)).json();
		check(before.smart < before.metering_points, `${STATION} is fully covered already: ${JSON.stringify(before)}`);
		await page.goto(`/units/${STATION}`);
		const shownBefore = await coverageBlock(page);
		equal(shownBefore.points, before.metering_points, 'metering points on the unit page vs the API (before)');
		equal(shownBefore.smart, before.smart, 'smart meters on the unit page vs the API (before)');
		await t.shot(page, 'unit page before');
		const csv = await page.request.get(`/units/${STATION}/uncovered.csv`);
		equal(csv.status(), 200, 'uncovered.csv status');
		const points = (await csv.text()).split(/\r?\n/).map((l) => l.split(','))
			.filter((f) => f[0] === STATION && f[1]).map((f) => f[1]);
		check(points.length >= INSTALLS, `only ${points.length} uncovered points listed for ${STATION}`);
		equal(points.length, before.metering_points - before.smart, 'uncovered points in the CSV vs the API');

		/* The file: smart meters on the first uncovered points, dated the API's day. */
		const file = join(t.dir, `rollout-${STATION}.xml`);
		await writeFile(file, rolloutFile(points.slice(0, INSTALLS), before.at));

		/* Upload through the form; record what the status line says on the way. */
		const said = [];
		await page.exposeFunction('gsStatusSaid', (text) => said.push(text));
		await page.goto('/imports');
		await t.shot(page, 'upload form');
		await page.evaluate(() => {
			const s = document.getElementById('upload-status');
			new MutationObserver(() => window.gsStatusSaid(s.textContent))
				.observe(s, { childList: true, characterData: true, subtree: true });
		});
		await page.locator('#file').setInputFiles(file);
		await Promise.all([
			page.waitForURL(/\/imports\/\d+$/, { timeout: 30000 }),
			page.locator('#upload-form button[type=submit]').click(),
		]);
		await page.waitForLoadState();
		await t.shot(page, 'import result');
		/* upload.js said it was sending, then importing, before the result page came */
		check(said.some((x) => /正在导入|importing/.test(x)), `the status line never said importing: ${JSON.stringify(said)}`);
		const badge = (await page.locator('h1 .status').innerText()).trim();
		check(/已导入|imported/i.test(badge), `the import's page says '${badge}', not imported`);
		const figures = await page.locator('ul.figures').first().innerText();
		check(figures.includes(String(INSTALLS)), `the import's page does not show ${INSTALLS} records: ${figures}`);

		/* After: the coverage went up by exactly the installs, on the page and in the API. */
		const after = await (await page.request.get(covUrl)).json();
		equal(after.metering_points, before.metering_points, 'metering points after the import');
		equal(after.smart, before.smart + INSTALLS, 'smart meters after the import (API)');
		check(after.rate > before.rate, `coverage rate did not rise: ${before.rate} -> ${after.rate}`);
		await page.goto(`/units/${STATION}`);
		const shownAfter = await coverageBlock(page);
		equal(shownAfter.smart, after.smart, 'smart meters on the unit page vs the API (after)');
		equal(shownAfter.rate, `${(100 * after.rate).toFixed(1)}%`, 'coverage rate on the unit page vs the API (after)');
		await t.shot(page, 'unit page after');
		t.note(`${STATION}: ${before.smart}/${before.metering_points} -> ${after.smart}/${after.metering_points}; ` +
			`status line said: ${JSON.stringify(said)}`);
	},
}];
