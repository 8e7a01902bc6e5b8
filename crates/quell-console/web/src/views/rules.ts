// The rules editor (#/rules, #/rules/diff): built in a later change (helper C).

import type { Ctx, Params } from '../main';
import { h, mount } from '../dom';

export function render(el: HTMLElement, _params: Params, ctx: Ctx): void {
  mount(el, h('h1', null, ctx.t('nav.rules')), h('p', null, ctx.t('todo.rules')));
}
