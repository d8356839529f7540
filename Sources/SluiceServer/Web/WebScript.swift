/// The pages' script, served as `/static/app.<hash>.js`: the upload page's tus 1.0.0 client
/// (chunks of 8 MiB, resumable across reloads, progress over the WebSocket or from the PATCH
/// answers) and the file page's preview. Plain JavaScript, no build step: edit it here.
enum WebScript {
    static let source = #"""
        // Sluice's web pages: tus 1.0.0 uploads with live progress (upload page), previews (file page).
        'use strict';

        const $ = (selector, root = document) => root.querySelector(selector);
        const T = JSON.parse(($('#strings') || {}).textContent || '{}');
        const lang = document.documentElement.lang || 'en';
        const base = document.body.dataset.base || '';

        /** `key`'s text with its `{name}` placeholders filled from `values`. */
        function say(key, values = {}) {
          return (T[key] || key).replace(/\{(\w+)\}/g, (match, name) => (name in values ? values[name] : match));
        }

        /** An element with attributes (`text` = its text, `class`, `on…` = listeners) and children. */
        function el(tag, attributes = {}, ...children) {
          const node = document.createElement(tag);
          for (const [name, value] of Object.entries(attributes)) {
            if (name === 'text') node.textContent = value;
            else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
            else node.setAttribute(name, value);
          }
          node.append(...children);
          return node;
        }

        /** `bytes` in units of 1024: `532 B`, `1.5 MiB`, `120 GiB`. */
        function size(bytes) {
          const units = (T.units || 'B KiB MiB GiB TiB').split(' ');
          let value = bytes;
          let unit = 0;
          while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
          const digits = unit === 0 || value >= 100 ? 0 : 1;
          const number = new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits });
          return number.format(value) + '\u00a0' + units[unit];
        }

        /** `seconds` as `1 h 5 min`, `3 min 20 s` or `12 s`. */
        function duration(seconds) {
          const total = Math.max(1, Math.ceil(seconds));
          const h = Math.floor(total / 3600);
          const m = Math.floor((total % 3600) / 60);
          const s = total % 60;
          const part = (n, unit) => n + '\u00a0' + T[unit];
          if (h) return part(h, 'hours') + ' ' + part(m, 'minutes');
          if (m) return part(m, 'minutes') + ' ' + part(s, 'seconds');
          return part(s, 'seconds');
        }

        /** `url` with its path decoded for reading (`/Отчёт.pdf` rather than `/%D0%9E…`), as the
         * download page's link box shows it (`WebPage.readable`); links and copies keep `url`. */
        function readable(url) {
          try { return decodeURI(url); } catch { return url; }
        }

        const sleep = (ms, signal) => new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, ms);
          signal.addEventListener('abort', () => { clearTimeout(timer); reject(new DOMException('aborted', 'AbortError')); }, { once: true });
        });

        /** Copies `text`, with the old `execCommand` where the Clipboard API is missing (plain http). */
        async function copy(text, button) {
          try {
            await navigator.clipboard.writeText(text);
          } catch {
            const area = el('textarea', { class: 'offscreen', readonly: '' });
            area.value = text;
            document.body.append(area);
            area.select();
            document.execCommand('copy');
            area.remove();
          }
          const label = button.textContent;
          button.textContent = T.copied;
          setTimeout(() => { button.textContent = label; }, 1500);
        }

        // localStorage may be missing or full; resuming across reloads is then simply off.
        const saved = {
          get(key) { try { return localStorage.getItem(key); } catch { return null; } },
          set(key, value) { try { localStorage.setItem(key, value); } catch { /* not kept */ } },
          remove(key) { try { localStorage.removeItem(key); } catch { /* nothing kept */ } },
        };

        // ---------------------------------------------------------------- tus 1.0.0 client

        const TUS = { 'Tus-Resumable': '1.0.0' };
        const CHUNK = 8 * 1024 * 1024;
        const BACKOFF = [1, 2, 4, 8, 15, 30];  // seconds before the nth retry
        const TRIES = 10;                      // retries in a row without progress before giving up
        const PREVIEW_BLOB_LIMIT = 32 * 1024 * 1024;

        /** A request worth repeating: the network failed, or the server answered 5xx, 409, 423 or 429. */
        class Retry extends Error {}
        /** The end of an upload, with the message to show; `resumable` keeps its URL for a later drop. */
        class Failure extends Error {
          constructor(message, resumable = false) { super(message); this.resumable = resumable; }
        }
        /** The upload is unknown (404) or expired (410) on the server. */
        class Gone extends Failure {
          constructor() { super(T.gone); }
        }

        let serverLimit;
        /** The server's `Tus-Max-Size`, asked once (`Infinity` when unknown). */
        function limit() {
          serverLimit ??= fetch(base + '/files/', { method: 'OPTIONS' })
            .then((response) => Number(response.headers.get('Tus-Max-Size')) || Infinity)
            .catch(() => Infinity);
          return serverLimit;
        }

        /** Base64 of the UTF-8 bytes of `text`, as `Upload-Metadata` wants. */
        function base64(text) {
          let binary = '';
          for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
          return btoa(binary);
        }

        /** One file's upload and its `.upload` element. */
        class Upload {
          constructor(file, options) {
            this.file = file;
            this.options = options;
            this.key = 'sluice:' + JSON.stringify([file.name, file.size, file.lastModified, options.maxDays, options.maxDownloads, Boolean(options.password)]);
            this.url = null;        // the tus upload URL
            this.offset = 0;        // bytes the server has stored, as it last said
            this.shown = 0;         // bytes the bar shows (never goes back)
            this.links = null;      // { file, remove } once complete
            this.state = 'uploading';
            this.tries = 0;
            this.offline = false;   // between a failed request and the next answer: the row says so
            this.socket = null;
            this.sockets = 0;
            this.samples = [];      // [time, bytes] of the last seconds, for the speed
            this.controller = new AbortController();
            this.render();
          }

          render() {
            this.bar = el('progress', { class: 'bar', max: String(this.file.size), value: '0' });
            this.percent = el('span', { class: 'percent', text: '0 %' });
            this.status = el('span', { class: 'status', text: T.waiting });
            this.cancelButton = el('button', { type: 'button', class: 'cancel', text: T.cancel, onclick: () => this.cancel() });
            this.node = el('li', { class: 'upload', 'data-state': 'uploading' },
              el('div', { class: 'head' },
                el('span', { class: 'name', text: this.file.name }),
                el('span', { class: 'size', text: size(this.file.size) })),
              this.bar,
              el('div', { class: 'stats' }, this.percent, this.status, this.cancelButton));
            $('#uploads').append(this.node);
          }

          setState(state, status) {
            this.state = state;
            this.node.dataset.state = state;
            this.status.textContent = status;
            if (state !== 'uploading') {
              this.offline = false;
              this.node.classList.remove('retrying');
              this.cancelButton.hidden = true;
              if (this.socket) this.socket.close();
            }
          }

          async run() {
            try {
              if (this.options.problem) throw new Failure(this.options.problem);
              const max = await limit();
              if (this.file.size > max) throw new Failure(say('tooLarge', { limit: size(max) }));
              this.status.textContent = T.starting;
              this.url = saved.get(this.key);
              if (this.url) {
                this.status.textContent = T.resuming;
                try {
                  await this.retrying(() => this.head());
                } catch (error) {
                  if (!(error instanceof Gone)) throw error;
                  saved.remove(this.key);
                  this.url = null;
                }
              }
              if (!this.url) await this.create();
              this.samples = [[performance.now(), this.offset]];
              while (!this.links) {
                this.watch();
                try {
                  await this.patch();
                } catch (error) {
                  if (!(error instanceof Retry)) throw error;
                  await this.backoff();
                  await this.retrying(() => this.head());
                }
              }
              this.finish();
            } catch (error) {
              if (this.state !== 'uploading') return;  // cancelled
              const failure = error instanceof Failure ? error : new Failure(T.network, true);
              if (!failure.resumable) saved.remove(this.key);
              this.fail(failure.message);
            }
          }

          /** `POST /files/`: a new upload; its URL is kept so a later drop of the same file resumes. */
          async create() {
            const metadata = {
              filename: this.file.name, filetype: this.file.type,
              maxDays: this.options.maxDays, maxDownloads: this.options.maxDownloads, password: this.options.password,
            };
            const header = Object.entries(metadata).filter(([, value]) => value).map(([name, value]) => name + ' ' + base64(value));
            const response = await this.retrying(() => this.send('POST', base + '/files/', {
              'Upload-Length': String(this.file.size), 'Upload-Metadata': header.join(','),
            }));
            this.url = new URL(response.headers.get('Location'), location.href).href;
            saved.set(this.key, this.url);
            this.take(response);
          }

          /** `PATCH`es the next chunk from the stored offset. */
          async patch() {
            const end = Math.min(this.offset + CHUNK, this.file.size);
            const response = await this.send('PATCH', this.url, {
              'Upload-Offset': String(this.offset), 'Content-Type': 'application/offset+octet-stream',
            }, this.file.slice(this.offset, end));
            this.take(response);
          }

          /** `HEAD`: where the upload stands. */
          async head() {
            this.take(await this.send('HEAD', this.url));
          }

          /** Reads `Upload-Offset`, and `X-Url`/`X-Url-Delete` once the upload is complete. */
          take(response) {
            const offset = Number(response.headers.get('Upload-Offset'));
            if (response.headers.has('Upload-Offset') && Number.isFinite(offset)) {
              if (offset > this.offset) this.tries = 0;
              this.offset = offset;
              this.show(offset);
            }
            const file = response.headers.get('X-Url');
            if (file) this.links = { file, remove: response.headers.get('X-Url-Delete') };
          }

          /** A tus request; throws `Retry`, `Gone` or `Failure` for anything but 2xx. */
          async send(method, url, headers = {}, body = undefined) {
            let response;
            try {
              response = await fetch(url, { method, headers: { ...TUS, ...headers }, body, signal: this.controller.signal });
            } catch (error) {
              if (this.state !== 'uploading') throw error;
              throw new Retry(String(error));
            }
            if (response.ok) {
              this.reconnected();
              return response;
            }
            const status = response.status;
            if (status >= 500 || status === 409 || status === 423 || status === 429) throw new Retry(String(status));
            if (status === 404 || status === 410) throw new Gone();
            if (status === 401) throw new Failure(T.unauthorized);
            if (status === 507) throw new Failure(T.full);
            const text = method === 'HEAD' ? '' : (await response.text().catch(() => '')).trim().slice(0, 300);
            const max = await limit();
            if (status === 413 && max !== Infinity) throw new Failure(say('tooLarge', { limit: size(max) }));
            throw new Failure(say('server', { status, text }));
          }

          /** Runs `step` until it does not ask for a retry, waiting longer each time. */
          async retrying(step) {
            for (;;) {
              try {
                return await step();
              } catch (error) {
                if (!(error instanceof Retry)) throw error;
                await this.backoff();
              }
            }
          }

          /** Waits before the next try, counting the seconds down in the row; the bar stays where it is. */
          async backoff() {
            this.tries += 1;
            if (this.tries > TRIES) throw new Failure(T.network, true);
            this.offline = true;
            this.node.classList.add('retrying');
            for (let left = BACKOFF[Math.min(this.tries, BACKOFF.length) - 1]; left > 0; left--) {
              this.status.textContent = say('retrying', { seconds: left });
              await sleep(1000, this.controller.signal);
            }
            this.status.textContent = T.reconnecting;
          }

          /** After retries, the first answer: back to the normal status, the speed measured from now. */
          reconnected() {
            if (!this.offline || this.state !== 'uploading') return;
            this.offline = false;
            this.node.classList.remove('retrying');
            this.status.textContent = T.resuming;
            this.samples = [[performance.now(), this.shown]];
          }

          /** Listens to `/progress/{uploadId}`; the bar moves with the PATCH answers when it cannot. */
          watch() {
            if (!window.WebSocket || this.socket || this.sockets >= 3) return;
            this.sockets += 1;
            const id = this.url.split('/').pop();
            const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
            let socket;
            try {
              socket = new WebSocket(`${scheme}//${location.host}${base}/progress/${encodeURIComponent(id)}`);
            } catch {
              return;
            }
            this.socket = socket;
            socket.onmessage = (event) => {
              let message;
              try { message = JSON.parse(event.data); } catch { return; }
              if (this.state === 'uploading' && typeof message.received === 'number') this.show(message.received);
              if (message.state === 'done' && message.url) this.socketURL = message.url;
            };
            socket.onclose = () => { if (this.socket === socket) this.socket = null; };
          }

          /** Moves the bar to `received` bytes and updates the speed and the time left. */
          show(received) {
            const total = this.file.size;
            this.shown = Math.max(this.shown, Math.min(received, total));
            this.bar.value = this.shown;
            this.percent.textContent = (total ? Math.floor((this.shown * 100) / total) : 0) + ' %';
            if (this.state !== 'uploading' || this.offline) return;  // the retry countdown stays
            const now = performance.now();
            this.samples.push([now, this.shown]);
            while (this.samples.length > 2 && now - this.samples[0][0] > 10000) this.samples.shift();
            const [then, bytes] = this.samples[0];
            const speed = (this.shown - bytes) / ((now - then) / 1000);
            if (now - then >= 500 && speed > 0) {
              this.status.textContent = this.shown < total
                ? say('speedLeft', { speed: size(speed), time: duration((total - this.shown) / speed) })
                : say('speed', { speed: size(speed) });
            }
          }

          finish() {
            saved.remove(this.key);
            this.setState('done', T.done);
            this.bar.value = this.file.size;
            this.percent.textContent = '100 %';
            const file = this.links.file || this.socketURL;
            const copyButton = el('button', { type: 'button', class: 'copy', text: T.copy, onclick: () => copy(file, copyButton) });
            const actions = el('div', { class: 'actions' }, copyButton,
              el('a', { class: 'page-link button', href: file + '?page=1', text: T.pageLink }));
            this.node.append(el('div', { class: 'result' }, el('a', { class: 'file-link', href: file, text: readable(file) }), actions));
            if (this.links.remove) {
              this.deleteButton = el('button', { type: 'button', class: 'delete', text: T.delete, onclick: () => this.remove() });
              actions.append(this.deleteButton);
              this.node.append(el('details', { class: 'delete-info' },
                el('summary', { text: T.deleteLink }), el('code', { class: 'delete-url', text: this.links.remove })));
            }
          }

          fail(message) {
            this.setState('failed', T.failed);
            this.error(message);
          }

          error(message) {
            const node = $('.error', this.node) || this.node.appendChild(el('p', { class: 'error', role: 'alert' }));
            node.textContent = message;
          }

          /** Stops the upload and removes what the server holds of it. */
          async cancel() {
            if (this.state === 'done' || this.state === 'failed' || this.state === 'cancelled') return;
            this.setState('cancelled', T.cancelled);
            this.controller.abort();
            saved.remove(this.key);
            // An aborted PATCH may hold the upload a moment longer (409): try again shortly.
            for (let attempt = 0; this.url && attempt < 3; attempt++) {
              const response = await fetch(this.url, { method: 'DELETE', headers: TUS }).catch(() => null);
              if (response && (response.ok || response.status === 404 || response.status === 410)) break;
              await new Promise((resolve) => setTimeout(resolve, 1000));
            }
          }

          /** Sends the delete link's `DELETE`, once the user confirms. */
          async remove() {
            if (!confirm(say('confirmDelete', { name: this.file.name }))) return;
            this.deleteButton.disabled = true;
            try {
              const response = await fetch(this.links.remove, { method: 'DELETE' });
              if (!response.ok) throw new Error(`${response.status} ${(await response.text()).trim()}`);
              this.node.classList.add('deleted');
              this.status.textContent = T.deletedFile;
            } catch (error) {
              this.deleteButton.disabled = false;
              this.error(say('deleteFailed', { reason: error.message }));
            }
          }
        }

        // ---------------------------------------------------------------- the upload page

        const PARALLEL = 2;
        const queue = [];
        const active = new Map();  // fingerprint → Upload, so a file dropped twice uploads once
        let running = 0;

        function pump() {
          while (running < PARALLEL && queue.length) {
            const upload = queue.shift();
            if (upload.state === 'cancelled') continue;
            running += 1;
            upload.run().finally(() => {
              running -= 1;
              active.delete(upload.key);
              pump();
            });
          }
        }

        /** The limits typed in, normalised, with `problem` set when one is malformed. */
        function readOptions() {
          const days = $('#max-days');
          const downloads = $('#max-downloads');
          const options = { maxDays: days.value.trim(), maxDownloads: downloads.value.trim(), password: $('#password').value };
          if (options.maxDays) options.maxDays = String(Number(options.maxDays));
          const daysOK = !options.maxDays || (/^\d+(\.\d+)?$/.test(options.maxDays) && Number(options.maxDays) > 0 && Number(options.maxDays) <= 3650);
          if (days.validity.badInput || !daysOK) options.problem = T.badDays;
          else if (downloads.validity.badInput || (options.maxDownloads && !/^[1-9]\d{0,17}$/.test(options.maxDownloads))) options.problem = T.badDownloads;
          return options;
        }

        function add(files) {
          const options = readOptions();
          for (const file of files) {
            const upload = new Upload(file, options);
            if (active.has(upload.key)) { upload.node.remove(); continue; }
            active.set(upload.key, upload);
            queue.push(upload);
          }
          pump();
        }

        function setUpUploadPage() {
          const input = $('#file-input');
          input.addEventListener('change', () => {
            add([...input.files]);
            input.value = '';
          });
          $('#upload-form').addEventListener('submit', (event) => event.preventDefault());
          let depth = 0;  // dragenter/dragleave pairs, so the highlight does not flicker over children
          document.addEventListener('dragenter', (event) => {
            if (!event.dataTransfer.types.includes('Files')) return;
            depth += 1;
            document.body.classList.add('dragging');
          });
          document.addEventListener('dragleave', () => {
            depth = Math.max(0, depth - 1);
            if (!depth) document.body.classList.remove('dragging');
          });
          document.addEventListener('dragover', (event) => event.preventDefault());
          document.addEventListener('drop', (event) => {
            event.preventDefault();
            depth = 0;
            document.body.classList.remove('dragging');
            const items = [...event.dataTransfer.items];
            // A dropped folder arrives as a File that cannot be read: leave folders out.
            const files = items.filter((item) => item.kind === 'file' && !(item.webkitGetAsEntry && item.webkitGetAsEntry()?.isDirectory))
              .map((item) => item.getAsFile()).filter(Boolean);
            add(files);
          });
          limit();
        }

        // ---------------------------------------------------------------- the file page

        function note(section, text) {
          section.append(el('p', { class: 'note', text }));
        }

        /** Shows the file in `#preview`. A whole-body GET of a file with a download limit would use up a
         * download, so such a file is fetched with a Range request (never counted); media elements ask
         * for ranges by themselves. */
        async function preview(section) {
          const { kind, src, limited } = section.dataset;
          const bytes = Number(section.dataset.size);
          if (kind === 'none') { section.hidden = true; return; }
          if (bytes === 0) { note(section, T.previewEmpty); return; }
          const failed = () => note(section, T.previewFailed);
          try {
            if (kind === 'text') {
              const response = await fetch(src, { headers: { Range: 'bytes=0-65535' } });
              if (!response.ok) throw new Error(String(response.status));
              const text = new TextDecoder().decode(await response.arrayBuffer(), { stream: true });
              section.append(el('pre', { class: 'text-preview', text }));
              if (bytes > 65536) note(section, say('previewPart', { size: size(65536), total: size(bytes) }));
              return;
            }
            let url = src;
            if (limited === '1' && (kind === 'image' || kind === 'pdf')) {
              if (bytes > PREVIEW_BLOB_LIMIT) { note(section, T.previewSkipped); return; }
              const response = await fetch(src, { headers: { Range: 'bytes=0-' } });
              if (response.status !== 206) throw new Error(String(response.status));
              url = URL.createObjectURL(await response.blob());
            }
            const tag = { image: 'img', video: 'video', audio: 'audio', pdf: 'iframe' }[kind];
            const media = el(tag, { src: url, onerror: failed });
            if (kind === 'image') media.alt = '';
            if (kind === 'video' || kind === 'audio') { media.controls = true; media.preload = 'metadata'; }
            if (kind === 'pdf') media.title = document.title;
            section.append(media);
          } catch {
            failed();
          }
        }

        function setUpFilePage() {
          for (const time of document.querySelectorAll('time[datetime]')) {
            time.textContent = new Date(time.dateTime).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });
          }
          for (const button of document.querySelectorAll('button.copy[data-copy]')) {
            button.addEventListener('click', () => copy(button.dataset.copy, button));
          }
          for (const box of document.querySelectorAll('.link-box')) {
            box.addEventListener('focus', () => box.select());
            // The box shows the link decoded for reading; copied whole, it gives the working (escaped) link.
            box.addEventListener('copy', (event) => {
              if (!box.dataset.copy || box.selectionStart !== 0 || box.selectionEnd !== box.value.length) return;
              event.clipboardData.setData('text/plain', box.dataset.copy);
              event.preventDefault();
            });
          }
          const section = $('#preview');
          if (section) preview(section);
        }

        document.documentElement.classList.add('js');
        if (document.body.dataset.page === 'upload') setUpUploadPage();
        if (document.body.dataset.page === 'file') setUpFilePage();

        """#
}
