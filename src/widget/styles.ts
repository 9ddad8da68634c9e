/** Shadow-DOM styles of <hearth-recs>; every colour and size is a CSS custom property. */
export const WIDGET_CSS = `
:host {
  display: block;
  font-family: var(--hearth-font, system-ui, sans-serif);
  color: var(--hearth-fg, #1f2328);
  --_accent: var(--hearth-accent, #b3541e);
  --_bg: var(--hearth-card-bg, #fffdf8);
  --_radius: var(--hearth-radius, 10px);
  --_gap: var(--hearth-gap, 12px);
}
form { display: flex; gap: 8px; margin-bottom: var(--_gap); flex-wrap: wrap; align-items: center; }
label { font-weight: 600; }
input[type=search] { flex: 1 1 16rem; padding: 8px 10px; border: 1px solid #8a8f98; border-radius: var(--_radius); font: inherit; }
button { font: inherit; cursor: pointer; border: 1px solid var(--_accent); background: transparent; color: var(--_accent); border-radius: var(--_radius); padding: 4px 10px; }
button:focus-visible, a:focus-visible, input:focus-visible, ul:focus-visible { outline: 3px solid var(--hearth-focus, #1a73e8); outline-offset: 2px; }
button[aria-pressed=true] { background: var(--_accent); color: #fff; }
ul { list-style: none; margin: 0; padding: 0; gap: var(--_gap); }
ul.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(var(--hearth-card-width, 170px), 1fr)); }
ul.list { display: flex; flex-direction: column; }
ul.list li { flex-direction: row; align-items: center; flex-wrap: wrap; }
ul.list img, ul.list .placeholder { width: 48px; height: 72px; }
ul.carousel { display: flex; overflow-x: auto; scroll-snap-type: x mandatory; padding-bottom: 6px; }
ul.carousel li { flex: 0 0 var(--hearth-card-width, 170px); scroll-snap-align: start; }
li { display: flex; flex-direction: column; gap: 4px; background: var(--_bg); border-radius: var(--_radius); padding: 10px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
a { color: inherit; text-decoration: none; display: flex; flex-direction: column; gap: 6px; }
img, .placeholder { width: 100%; max-width: 120px; height: auto; aspect-ratio: 2 / 3; border-radius: 4px; object-fit: cover; }
.placeholder { display: block; background: var(--hearth-track, #e6e1d8); }
[part~=title] { font-weight: 600; line-height: 1.25; overflow-wrap: anywhere; }
[part~=byline], [part~=price] { font-size: .85em; opacity: .8; }
[part~=reason] { font-size: .8em; color: var(--_accent); }
[part~=actions] { display: flex; gap: 6px; margin-top: auto; flex-wrap: wrap; }
.loading { display: flex; flex-direction: column; gap: 6px; padding: 12px 0; }
[part~=progress] { height: 8px; background: var(--hearth-track, #e6e1d8); border-radius: 4px; overflow: hidden; }
.fill { height: 100%; background: var(--_accent); transition: width .2s; }
[part~=error] { padding: 12px; border: 1px solid #c62828; border-radius: var(--_radius); color: #8e0000; background: #fff4f4; display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
