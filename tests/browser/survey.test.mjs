// survey.test.mjs — a customer rates a service hall on a phone, from the hall's QR code.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { decodeQr } from './lib/gridscore.mjs';
import { DESKTOP, PHONE, check, equal, login, pct, satisfactionBlock } from './lib/pages.mjs';

/* Every demo hall keeps office hours, and a response outside a hall's opening hours is
 * stored but flagged (and not counted). So that the test means the same at any time of
 * day, it rates a hall of its own that is open all day every day. */
const HALL = 'QH-BT1';
const ALWAYS_OPEN_HALL = `<?xml version="1.0" encoding="UTF-8"?>
<org xmlns="urn:gridscore:org:1">
  <halls>
    <hall code="${HALL}" station="QH-S01" name="城关自助服务厅" name-en="Chengguan Self-service Hall">
      <address>青禾县城关镇人民路19号</address>
${['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => `      <hours day="${d}" opens="00:00" closes="23:59"/>`).join('\n')}
    </hall>
  </halls>
</org>
`;

/* survey.fast_seconds (5 by default): a faster answer is flagged as "answered too
 * fast". The customer here takes a little longer, as a person reading the page would. */
const HUMAN_FILL_MS = 6000;

export const tests = [
	{
		name: 'customer on a phone rates a hall from its QR code; the hall count goes up by one',
		async run(t) {
			let token;
			const server = await t.server({
				setup: async (s) => {
					await s.orgLoad('always-open-hall.xml', ALWAYS_OPEN_HALL);
					token = await s.token('browser-test');
				},
			});
			const before = await server.api(`/api/v1/units/${HALL}/satisfaction`, token);

			/* The manager prints the hall's QR code (the PNG of its poster). */
			const office = await (await t.newContext(DESKTOP)).newPage();
			await login(office, server, 'manager');
			const png = await office.request.get(`${server.url}/halls/${HALL}/qr?format=png`);
			equal(png.status(), 200, 'GET /halls/{code}/qr?format=png status');
			equal(png.headers()['content-type'], 'image/png', 'QR content type');
			const pngFile = join(t.dir, 'hall-qr.png');
			await writeFile(pngFile, await png.body());
			const url = await decodeQr(pngFile);
			check(url.startsWith(`${server.url}/s/${HALL}.1.`), `the QR code holds ${url}, not this hall's survey URL`);
			t.note(`QR code: ${url}`);

			/* The customer scans it with a phone, JavaScript off: the survey needs none. */
			const phone = await (await t.newContext({ ...PHONE, javaScriptEnabled: false })).newPage();
			const res = await phone.goto(url);
			const opened = Date.now();
			equal(res.status(), 200, 'survey page status');
			const bytes = (await res.body()).length;
			check(bytes < 15 * 1024, `the survey page is ${bytes} bytes (budget 15 KB)`);
			t.note(`survey page: ${bytes} bytes of HTML`);
			await phone.getByRole('heading', { level: 1 }).waitFor();
			check((await phone.locator('p.hall').innerText()).includes('城关自助服务厅'),
				'the survey page does not name the hall being rated');
			const width = await phone.evaluate(() => document.documentElement.scrollWidth);
			check(width <= 360, `the survey page is ${width} px wide on a 360 px phone (scrolls sideways)`);
			await t.shot(phone, 'survey page');

			/* Touch targets: every answer is a label of at least 44 px height. */
			const heights = await phone.locator('label.opt').evaluateAll((ls) => ls.map((l) => l.getBoundingClientRect().height));
			check(heights.length >= 10, `only ${heights.length} answer options on the survey page`);
			const small = Math.min(...heights);
			check(small >= 44, `an answer option is only ${small} px high (touch targets need 44 px)`);

			/* Submitting with the required rating left out: the browser keeps the page and
			 * sends nothing. */
			const posts = [];
			phone.on('request', (r) => r.method() === 'POST' && posts.push(r.url()));
			const question = (re) => phone.getByRole('group', { name: re });
			await phone.getByRole('button', { name: '提交评价' }).tap();
			check(await question(/总体评价/).getByRole('radio').first().evaluate((r) => r.validity.valueMissing),
				'the rating is not marked as missing');
			equal(phone.url(), url, 'page after submitting without a rating');
			equal(posts.length, 0, 'POSTs sent without a rating');

			/* The customer answers. */
			await question(/总体评价/).getByRole('radio', { name: '非常好' }).check();
			await question(/等候/).getByRole('radio', { name: '5分钟以内' }).check();
			await question(/服务态度/).getByRole('radio', { name: '比较好' }).check();
			await question(/一次办结/).getByRole('radio', { name: '是' }).check();
			await question(/业务/).getByRole('checkbox', { name: '电费缴纳' }).check();
			await phone.getByLabel(/意见和建议/).fill('自助缴费很方便，谢谢！');
			await t.shot(phone, 'answered');
			const wait = HUMAN_FILL_MS - (Date.now() - opened);
			if (wait > 0)
				await phone.waitForTimeout(wait);
			await Promise.all([
				phone.waitForURL((u) => u.pathname.endsWith('/thanks')),
				phone.getByRole('button', { name: '提交评价' }).tap(),
			]);
			equal((await phone.getByRole('heading', { level: 1 }).innerText()).trim(), '感谢您的评价', 'thank-you heading');
			await t.shot(phone, 'thank you');

			/* One more response for the hall, counted (not flagged), rated 5. */
			const after = await server.api(`/api/v1/units/${HALL}/satisfaction`, token);
			equal(after.responses, before.responses + 1, 'responses after one submission');
			equal(after.flagged, before.flagged, 'flagged responses after one submission');
			equal(after.levels['5'], before.levels['5'] + 1, 'responses rated 5');
			equal(after.unverified, before.unverified + 1, 'unverified (hall-code) responses');

			/* The manager sees it on the hall's page. */
			await office.goto(`${server.url}/halls/${HALL}`);
			const shown = await satisfactionBlock(office);
			equal(shown.responses, after.responses, "responses on the hall's page");
			equal(shown.rate, pct(after.rate), "rate on the hall's page");
			await t.shot(office, 'hall page');
			equal(posts.length, 1, 'POSTs sent by the customer');

			/* A code with a wrong check part (a mistyped or forged poster) is refused. */
			const forged = url.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
			const bad = await phone.goto(forged);
			equal(bad.status(), 404, 'a forged survey code');
			equal((await phone.getByRole('heading', { level: 1 }).innerText()).trim(), '二维码无效', 'forged code heading');
			await t.shot(phone, 'forged code');
			t.note(`responses ${before.responses} → ${after.responses}, flagged ${after.flagged}`);
		},
	},
];
