/**
 * A small DOM helper: `h('div', { class: 'x', onclick }, child...)`. The page has no framework;
 * its views build elements with this and update them in place.
 * @packageDocumentation
 */

/** Attributes and event handlers of {@link h}. */
export type Props = Record<string, string | number | boolean | null | undefined | EventListener>;

/** Creates an element. `on*` props are listeners; `false`/null/undefined props are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: (Node | string | null | undefined | false)[]): void {
  el.replaceChildren(
    ...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false),
  );
}
