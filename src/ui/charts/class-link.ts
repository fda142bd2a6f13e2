/**
 * Class names as links to the dataset gallery ("a class name anywhere shows that class' training
 * images"). An SVG label (an axis tick, a hit area over one) becomes a button by spreading `classLinkProps`: role,
 * name ("Show training images of Ankle boot"), click, Enter / Space. One Tab stop per axis (roving tabindex): the
 * arrow keys, Home and End move between the links of the same axis by moving `tabIndex` in the DOM, so neither a
 * key press nor focus re-renders the chart. The handlers are shared module functions (no closure per label), and
 * the keys and focus do not bubble to recharts' keyboard layer or the confusion matrix' cell keys.
 */
import type { FocusEvent, KeyboardEvent, MouseEvent } from 'react';
import { openGallery } from '../gallery-state';

/** Class of the links (also the hook of the tests and the CSS). */
export const CLASS_LINK = 'ltc-class-link';
/** Attribute marking the element whose class links form one roving group (else the axis' tick group). */
export const CLASS_LINK_GROUP = 'data-class-links';

export const classLinkName = (name: string) => `Show training images of ${name}`;

const classOf = (el: Element) => Number(el.getAttribute('data-class'));

function onClick(e: MouseEvent<Element>) {
  e.stopPropagation();
  openGallery(classOf(e.currentTarget));
}

function move(el: Element, key: string): Element | null {
  const group = el.closest(`[${CLASS_LINK_GROUP}], .recharts-cartesian-axis-ticks`) ?? el.parentElement;
  if (!group) return null;
  const links = [...group.querySelectorAll(`.${CLASS_LINK}`)];
  const i = links.indexOf(el);
  const last = links.length - 1;
  const to =
    key === 'Home' ? 0 : key === 'End' ? last : key === 'ArrowLeft' || key === 'ArrowUp' ? Math.max(0, i - 1) : Math.min(last, i + 1);
  for (const l of links) l.setAttribute('tabindex', '-1');
  const next = links[to] ?? el;
  next.setAttribute('tabindex', '0');
  return next;
}

function onKeyDown(e: KeyboardEvent<Element>) {
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  const el = e.currentTarget;
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    e.stopPropagation(); // not the page's train / pause shortcut, not a confusion cell
    openGallery(classOf(el));
  } else if (['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End'].includes(e.key)) {
    e.preventDefault();
    e.stopPropagation(); // recharts' keyboard layer would move its tooltip
    (move(el, e.key) as (Element & { focus?: (o?: FocusOptions) => void }) | null)?.focus?.({ preventScroll: false });
  }
}

/** recharts shows its keyboard tooltip when focus enters its surface: not for a label. */
function onFocus(e: FocusEvent<Element>) {
  e.stopPropagation();
}

/** The shared handlers (click, Enter / Space, arrow keys, focus kept from recharts), e.g. for an HTML <button>. */
export const classLinkHandlers = { onClick, onKeyDown, onFocus } as const;

/**
 * Props that make an SVG element a link to class `cls`' training images. `first`: the element in the Tab order
 * (the first label of its axis).
 */
export function classLinkProps(cls: number, name: string, first: boolean, className = CLASS_LINK) {
  return {
    role: 'button',
    tabIndex: first ? 0 : -1,
    'aria-label': classLinkName(name),
    className,
    'data-class': cls,
    onClick,
    onKeyDown,
    onFocus,
  } as const;
}
