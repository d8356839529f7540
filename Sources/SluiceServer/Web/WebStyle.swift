/// The pages' style sheet, served as `/static/app.<hash>.css`. Plain CSS: edit it here.
enum WebStyle {
    static let source = #"""
        /* Sluice's web pages. Light and dark follow the system. */
        :root {
          color-scheme: light dark;
          --bg: #f5f6f8;
          --card: #ffffff;
          --text: #1a1d23;
          --muted: #5d6775;
          --line: #d8dde4;
          --accent: #2563eb;
          --accent-text: #ffffff;
          --accent-soft: #eaf0ff;
          --ok: #15803d;
          --warn: #b45309;
          --danger: #c2272d;
          --radius: 12px;
          --mono: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace;
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --bg: #111318;
            --card: #1a1e25;
            --text: #e7e9ee;
            --muted: #9aa3b0;
            --line: #2e343e;
            --accent: #6b96ff;
            --accent-text: #0d1220;
            --accent-soft: #1b2743;
            --ok: #4ac27f;
            --warn: #f0b44c;
            --danger: #ff7070;
          }
        }
        * { box-sizing: border-box; }
        [hidden] { display: none !important; }
        html { -webkit-text-size-adjust: 100%; }
        body {
          margin: 0;
          background: var(--bg);
          color: var(--text);
          font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
        }
        a { color: var(--accent); }
        code, pre { font-family: var(--mono); font-size: .875em; }
        .top, main { max-width: 46rem; margin: 0 auto; padding-left: 1.25rem; padding-right: 1.25rem; }
        .top { display: flex; align-items: center; justify-content: space-between; padding-top: 1rem; padding-bottom: 1rem; }
        .brand { display: inline-flex; align-items: center; gap: .5rem; color: inherit; font-size: 1.15rem; font-weight: 700; text-decoration: none; }
        .languages a { color: var(--muted); font-size: .9rem; }
        main { padding-bottom: 3rem; }
        h1 { margin: .75rem 0 .5rem; font-size: 1.65rem; line-height: 1.25; overflow-wrap: anywhere; }
        .lead { margin: 0 0 1.25rem; color: var(--muted); }
        .note { color: var(--muted); font-size: .9rem; }
        .muted { color: var(--muted); }
        .offscreen { position: fixed; left: -9999px; }

        /* Buttons and fields */
        button, .button {
          display: inline-flex; align-items: center; justify-content: center;
          padding: .45rem .85rem; border: 1px solid var(--line); border-radius: 8px;
          background: var(--card); color: var(--text); font: inherit; font-size: .9rem; line-height: 1.3;
          text-decoration: none; cursor: pointer;
        }
        button:hover, .button:hover { border-color: var(--accent); }
        button:focus-visible, .button:focus-visible, input:focus-visible, summary:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
        button:disabled { opacity: .5; cursor: default; }
        .button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); font-weight: 600; }
        input[type=number], input[type=password], .link-box {
          width: 100%; padding: .5rem .65rem; border: 1px solid var(--line); border-radius: 8px;
          background: var(--card); color: var(--text); font: inherit;
        }
        html:not(.js) button.copy { display: none; }

        /* The upload page */
        .drop {
          position: relative; display: flex; flex-direction: column; align-items: center; justify-content: center; gap: .25rem;
          min-height: 11rem; padding: 1.5rem; border: 2px dashed var(--line); border-radius: var(--radius);
          background: var(--card); text-align: center; cursor: pointer; transition: border-color .15s, background-color .15s;
        }
        .drop:hover, .drop:focus-within, .dragging .drop { border-color: var(--accent); background: var(--accent-soft); }
        .drop input { position: absolute; width: 1px; height: 1px; opacity: 0; overflow: hidden; }
        .drop-title { font-size: 1.2rem; }
        .drop-hint { color: var(--muted); }
        .pick { color: var(--accent); text-decoration: underline; }
        .options { display: grid; grid-template-columns: repeat(3, 1fr); gap: .75rem; margin: 1rem 0 0; padding: 0; border: 0; }
        .options legend { margin-bottom: .5rem; padding: 0; font-size: .95rem; font-weight: 600; }
        .option { display: flex; flex-direction: column; gap: .3rem; color: var(--muted); font-size: .9rem; }
        noscript .button { margin-top: .5rem; }
        .uploads { display: grid; gap: .75rem; margin: 1.5rem 0 0; padding: 0; list-style: none; }
        /* Nothing uploaded yet: no space for the empty list (it stays rendered, being a live region). */
        .uploads:empty { margin: 0; }
        .upload { padding: .9rem 1rem; border: 1px solid var(--line); border-radius: var(--radius); background: var(--card); }
        .upload .head { display: flex; align-items: baseline; justify-content: space-between; gap: .75rem; }
        .upload .name { font-weight: 600; overflow-wrap: anywhere; }
        .upload .size { color: var(--muted); font-size: .9rem; white-space: nowrap; }
        progress.bar {
          display: block; width: 100%; height: .5rem; margin: .6rem 0 .4rem;
          border: 0; border-radius: 99px; background: var(--line); overflow: hidden;
          -webkit-appearance: none; appearance: none;
        }
        progress.bar::-webkit-progress-bar { background: var(--line); }
        progress.bar::-webkit-progress-value { background: var(--accent); transition: width .2s; }
        progress.bar::-moz-progress-bar { background: var(--accent); }
        [data-state=done] progress.bar::-webkit-progress-value { background: var(--ok); }
        [data-state=done] progress.bar::-moz-progress-bar { background: var(--ok); }
        [data-state=failed] progress.bar::-webkit-progress-value { background: var(--danger); }
        [data-state=failed] progress.bar::-moz-progress-bar { background: var(--danger); }
        [data-state=cancelled] progress.bar::-webkit-progress-value { background: var(--muted); }
        [data-state=cancelled] progress.bar::-moz-progress-bar { background: var(--muted); }
        .retrying progress.bar::-webkit-progress-value { background: var(--warn); }
        .retrying progress.bar::-moz-progress-bar { background: var(--warn); }
        .retrying .status { color: var(--warn); font-weight: 600; }
        .stats { display: flex; align-items: center; gap: .75rem; color: var(--muted); font-size: .9rem; }
        .percent { min-width: 3.2em; color: var(--text); font-weight: 600; font-variant-numeric: tabular-nums; }
        .status { flex: 1; min-width: 0; }
        .error { margin: .5rem 0 0; color: var(--danger); }
        .result { margin-top: .6rem; }
        .file-link { display: block; margin-bottom: .5rem; font-family: var(--mono); font-size: .875rem; overflow-wrap: anywhere; }
        .actions { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; }
        button.delete { color: var(--danger); }
        .deleted .file-link, .deleted .page-link { text-decoration: line-through; pointer-events: none; opacity: .6; }
        .delete-info { margin-top: .6rem; color: var(--muted); font-size: .85rem; }
        .delete-info summary { cursor: pointer; }
        .delete-url { display: block; margin-top: .3rem; overflow-wrap: anywhere; }
        .cli { margin-top: 2.5rem; color: var(--muted); }
        .uploads:empty + .cli { margin-top: 1.5rem; }
        .cli summary { cursor: pointer; }
        .cli pre { padding: .75rem 1rem; border-radius: 8px; background: var(--card); border: 1px solid var(--line); overflow-x: auto; }

        /* The file page */
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1.25rem; margin: 1rem 0 1.25rem; }
        .facts div { display: contents; }
        .facts dt { color: var(--muted); }
        .facts dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
        .hash { font-size: .8rem; }
        .file-page .actions { margin: 0 0 1rem; }
        .link-box { flex: 1 1 14rem; width: auto; font-family: var(--mono); font-size: .85rem; }
        .preview { margin-top: 1.5rem; }
        .preview img, .preview video { display: block; max-width: 100%; max-height: 75vh; border-radius: var(--radius); background: var(--card); }
        .preview audio { width: 100%; }
        .preview iframe { width: 100%; height: 75vh; border: 1px solid var(--line); border-radius: var(--radius); background: #fff; }
        .text-preview {
          max-height: 32rem; margin: 0; padding: .9rem 1rem; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere;
          border: 1px solid var(--line); border-radius: var(--radius); background: var(--card);
        }
        .missing-page { text-align: center; padding-top: 3rem; }

        @media (max-width: 540px) {
          h1 { font-size: 1.35rem; }
          .drop { min-height: 9rem; }
          .options { grid-template-columns: 1fr; }
          .facts { grid-template-columns: 1fr; gap: 0; }
          .facts dd { margin-bottom: .5rem; }
        }

        """#
}
