/* upload.js — progressive enhancement of the rollout upload form on /imports: with
 * JavaScript the file goes up by XMLHttpRequest with a progress bar, then the browser
 * goes to the import's page (or shows the report of a dry run or a refusal). Without
 * JavaScript the plain form posts and the server answers 303 to the same page. */
(function () {
	'use strict';
	var form = document.getElementById('upload-form');
	if (!form || !window.XMLHttpRequest || !window.FormData)
		return;
	var bar = document.getElementById('upload-progress');
	var status = document.getElementById('upload-status');
	var button = form.querySelector('button[type=submit]');

	function say(text) {
		if (status)
			status.textContent = text;
	}

	form.addEventListener('submit', function (ev) {
		var input = form.querySelector('input[type=file]');
		if (!input || !input.files || input.files.length === 0)
			return; /* let the browser say the file is required */
		ev.preventDefault();
		var xhr = new XMLHttpRequest();
		function fail() {
			button.disabled = false;
			bar.hidden = true;
			say(status.getAttribute('data-failed'));
		}
		xhr.open('POST', form.action);
		var csrf = form.querySelector('input[name=_csrf]');
		if (csrf)
			xhr.setRequestHeader('X-CSRF-Token', csrf.value);
		xhr.responseType = 'document';
		xhr.upload.addEventListener('progress', function (e) {
			if (!e.lengthComputable)
				return;
			var pct = Math.floor(e.loaded * 100 / e.total);
			bar.value = pct;
			say(status.getAttribute('data-sending') + ' ' + pct + '%');
		});
		xhr.upload.addEventListener('load', function () {
			bar.removeAttribute('value'); /* indeterminate while the server imports */
			say(status.getAttribute('data-importing'));
		});
		xhr.addEventListener('load', function () {
			/* The 303 was followed: the import's own page is where to go. */
			if (xhr.status === 200 && xhr.responseURL && /\/imports\/\d+/.test(xhr.responseURL)) {
				window.location.assign(xhr.responseURL);
				return;
			}
			/* A dry run or a refusal answers with the report itself. */
			var doc = xhr.response;
			var main = doc && doc.querySelector('main');
			var here = document.querySelector('main');
			if (main && here) {
				here.parentNode.replaceChild(document.importNode(main, true), here);
				if (doc.title)
					document.title = doc.title;
				return;
			}
			fail();
		});
		xhr.addEventListener('error', fail);
		xhr.addEventListener('abort', fail);
		button.disabled = true;
		bar.hidden = false;
		bar.value = 0;
		say(status.getAttribute('data-sending'));
		xhr.send(new FormData(form));
	});
})();
