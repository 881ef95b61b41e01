import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { checkNewPassword, MIN_PASSWORD_LENGTH, type AccountStore } from '../auth/oidc-account-store';
import type { WebTools } from './web-plugin';
import type { FieldError } from './views/layout.view';
import { changePasswordView, messageView, signInView } from './views/signin.view';

/**
 * Our own screens for the embedded provider's interactions: sign in, and the forced change of
 * a one-time password. The interaction (bound to the provider's cookie for this browser) says
 * what is being asked; the answer goes back to the provider, which issues the code.
 */
export function registerSignInRoutes(app: FastifyInstance, opts: { provider: Provider; accounts: AccountStore; tools: WebTools; clock: () => Date }) {
  const { provider, accounts, tools } = opts;
  const route = { config: { access: { public: true, page: true } as const }, schema: { hide: true } };

  const details = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      return await provider.interactionDetails(request.raw, reply.raw);
    } catch {
      return undefined;
    }
  };
  const expired = (request: FastifyRequest, reply: FastifyReply) => {
    const ctx = tools.page(request, reply);
    return ctx.render(ctx.t('provider.errorTitle'), messageView({ t: ctx.t, heading: ctx.t('provider.errorTitle'), paragraphs: [ctx.t('signin.expired')], link: { href: '/auth/signin', text: ctx.t('signout.again') } }), {
      status: 400,
    });
  };
  const finish = async (request: FastifyRequest, reply: FastifyReply, sub: string) => {
    const to = await provider.interactionResult(request.raw, reply.raw, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
    return reply.redirect(to, 303);
  };
  const showSignIn = (request: FastifyRequest, reply: FastifyReply, uid: string, sub: string, errors: FieldError[], status = 200) => {
    const ctx = tools.page(request, reply);
    return ctx.render(ctx.t('signin.title'), signInView({ t: ctx.t, action: `/signin/${uid}`, csrfToken: ctx.csrfToken, sub, errors }), { status, hasErrors: errors.length > 0 });
  };
  const showChange = (request: FastifyRequest, reply: FastifyReply, uid: string, errors: FieldError[], status = 200) => {
    const ctx = tools.page(request, reply);
    return ctx.render(ctx.t('password.title'), changePasswordView({ t: ctx.t, action: `/signin/${uid}/password`, csrfToken: ctx.csrfToken, minLength: MIN_PASSWORD_LENGTH, errors }), {
      status,
      hasErrors: errors.length > 0,
    });
  };

  app.get<{ Params: { uid: string } }>('/signin/:uid', route, async (request, reply) => {
    const interaction = await details(request, reply);
    if (!interaction || interaction.uid !== request.params.uid) return expired(request, reply);
    return showSignIn(request, reply, interaction.uid, String(interaction.params.login_hint ?? ''), []);
  });

  app.post<{ Params: { uid: string }; Body: { sub?: string; password?: string } }>('/signin/:uid', route, async (request, reply) => {
    const interaction = await details(request, reply);
    if (!interaction || interaction.uid !== request.params.uid) return expired(request, reply);
    const t = tools.page(request, reply).t;
    const sub = String(request.body?.sub ?? '').trim();
    const password = String(request.body?.password ?? '');
    const errors: FieldError[] = [];
    if (!sub) errors.push({ field: 'sub', message: t('signin.subRequired') });
    if (!password) errors.push({ field: 'password', message: t('signin.passwordRequired') });
    if (errors.length) return showSignIn(request, reply, interaction.uid, sub, errors, 400);
    const result = await accounts.signIn(sub, password);
    if (!result.ok) {
      const message = result.reason === 'locked' ? t('signin.locked') : result.reason === 'disabled' ? t('signin.disabled') : t('signin.invalid');
      request.log.warn({ sub, reason: result.reason }, 'web sign-in refused');
      return showSignIn(request, reply, interaction.uid, sub, [{ field: 'sub', message }], result.reason === 'invalid' ? 401 : 403);
    }
    if (result.account.mustChangePassword) {
      request.session.set('passwordChange', { uid: interaction.uid, sub: result.account.sub, at: opts.clock().getTime() });
      return showChange(request, reply, interaction.uid, []);
    }
    return finish(request, reply, result.account.sub);
  });

  app.post<{ Params: { uid: string }; Body: { newPassword?: string; confirmPassword?: string } }>('/signin/:uid/password', route, async (request, reply) => {
    const interaction = await details(request, reply);
    const pending = request.session.get('passwordChange');
    if (!interaction || interaction.uid !== request.params.uid || !pending || pending.uid !== interaction.uid || opts.clock().getTime() - pending.at > 10 * 60_000) {
      return expired(request, reply);
    }
    const t = tools.page(request, reply).t;
    const next = String(request.body?.newPassword ?? '');
    const confirm = String(request.body?.confirmPassword ?? '');
    const errors: FieldError[] = [];
    const problem = checkNewPassword(next, pending.sub);
    if (problem) errors.push({ field: 'newPassword', message: t(`password.${problem}` as 'password.PASSWORD_TOO_SHORT', { min: MIN_PASSWORD_LENGTH }) });
    else if (await accounts.passwordMatches(pending.sub, next)) errors.push({ field: 'newPassword', message: t('password.sameAsOld') });
    if (!errors.length && next !== confirm) errors.push({ field: 'confirmPassword', message: t('password.mismatch') });
    if (errors.length) return showChange(request, reply, interaction.uid, errors, 400);
    await accounts.changePassword(pending.sub, next);
    request.session.set('passwordChange', undefined);
    return finish(request, reply, pending.sub);
  });
}
