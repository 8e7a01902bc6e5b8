// The alert view.

import type { Ctx, Params } from '../main';
import { h, mount } from '../dom';

export async function render(el: HTMLElement, _params: Params, ctx: Ctx): Promise<void> {
  mount(el, h('p', null, ctx.t('common.loading')));
}
