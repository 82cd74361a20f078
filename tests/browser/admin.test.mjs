// admin.test.mjs — an administrator adds a service hall through the admin page (a refused
// value first, shown beside its field), and the new hall's QR poster appears: the code
// on it opens the survey page of that hall.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { decodeQr } from './lib/gridscore.mjs';
import { DESKTOP, check, equal, login } from './lib/pages.mjs';

const HALL = 'QH-H90';
const NAME = '西河新区营业厅';

export const tests = [{
	name: 'admin adds a hall through the admin page and its QR poster appears',
	async run(t) {
		const server = await t.server();
		const ctx = await t.newContext({ ...DESKTOP, baseURL: server.url });
		const page = await ctx.newPage();
		await login(page, server, 'admin');

		/* From the header's Administration link to the halls page. */
		await Promise.all([page.waitForURL('**/admin/halls'), page.locator('a[href="/admin/halls"]').first().click()]);
		check(await page.locator(`a[href="/halls/${HALL}/poster"]`).count() === 0, `${HALL} exists before the test`);
		const form = page.locator('form[action="/admin/halls"]');
		await form.locator('#code').fill(HALL);
		await form.locator('#station').selectOption('QH-S03');
		await form.locator('#name').fill(NAME);
		await form.locator('#name_en').fill('Xihe New District Service Hall');
		await form.locator('#address').fill('青禾县西河镇新区大道 8 号');
		/* overlapping intervals: refused by the org rules, the message beside Monday */
		await form.locator('#hours-mon').fill('08:30-12:00 11:00-17:30');
		await form.locator('#hours-sat').fill('09:00-12:00');
		await t.shot(page, 'add form filled');
		const [refused] = await Promise.all([
			page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/admin/halls'),
			form.locator('button[type=submit]').click(),
		]);
		equal(refused.status(), 400, 'overlapping hours: status');
		await page.waitForLoadState();
		const mon = page.locator('#hours-mon');
		equal(await mon.getAttribute('aria-invalid'), 'true', 'Monday field marked invalid');
		const errText = await page.locator('#hours-mon-err').innerText();
		check(/overlaps/.test(errText), `the message beside Monday: '${errText}'`);
		equal(await page.locator('#name').inputValue(), NAME, 'the name is kept in the refused form');
		await t.shot(page, 'refused with the message beside the field');

		/* corrected and added */
		await mon.fill('08:30-12:00 14:00-17:30');
		await Promise.all([
			page.waitForURL('**/admin/halls?done=added'),
			page.locator('form[action="/admin/halls"] button[type=submit]').click(),
		]);
		await t.shot(page, 'hall added');
		const row = page.locator('tr', { has: page.locator(`code:text-is("${HALL}")`) });
		equal(await row.count(), 1, `rows for ${HALL} in the halls table`);
		check((await row.innerText()).includes(NAME), `the row of ${HALL} does not name the hall`);

		/* The poster: reached from the row, one QR code whose URL opens this hall's survey. */
		await Promise.all([page.waitForURL(`**/halls/${HALL}/poster`), row.locator(`a[href="/halls/${HALL}/poster"]`).click()]);
		equal((await page.locator('section.poster h1').innerText()).trim(), NAME, 'the poster names the hall');
		check(await page.locator('section.poster .qr svg').count() === 1, 'the poster has no QR code');
		await t.shot(page, 'poster');
		const png = await page.request.get(`/halls/${HALL}/qr?format=png`);
		equal(png.status(), 200, 'the QR image status');
		const pngFile = join(t.dir, 'new-hall-qr.png');
		await writeFile(pngFile, await png.body());
		const url = await decodeQr(pngFile);
		const shownUrl = (await page.locator('section.poster p.url').innerText()).trim();
		equal(url, shownUrl, 'the QR code holds the URL printed on the poster');
		const customer = await (await t.newContext({ ...DESKTOP })).newPage();
		const res = await customer.goto(url);
		equal(res.status(), 200, 'the survey page of the new hall');
		check((await customer.content()).includes(NAME), 'the survey page does not name the new hall');
		await t.shot(customer, 'survey page of the new hall');

		t.note(`${HALL} added; its QR code holds ${url}`);
	},
}];
