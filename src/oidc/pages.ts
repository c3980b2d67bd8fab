import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Locale } from '../lib/i18n.ts';
import type { RenderPage } from '../lib/view-renderer.ts';

/** Error descriptions oidc-provider may show to end users; anything else gets a generic line. */
const FRIENDLY_ERRORS = new Set(['invalid_request', 'invalid_client', 'invalid_redirect_uri', 'unauthorized_client', 'invalid_scope', 'unsupported_response_type', 'access_denied', 'session_not_found', 'server_error']);

export interface ProviderPages {
  renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string | undefined }): Promise<void>;
  logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void>;
  postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void>;
}

const requestIdOf = (ctx: KoaContextWithOIDC): string | undefined => (ctx.state as { requestId?: string }).requestId;
/** The page's language and path (http/middleware/koa-locale.ts runs before the provider). */
const pageOf = (ctx: KoaContextWithOIDC, title: string) => ({ title, requestId: requestIdOf(ctx), locale: (ctx.state as { locale?: Locale }).locale, path: ctx.path });

/** The pages oidc-provider renders itself (docs: #rendererror, #featuresrpinitiatedlogout), in Keyward's layout. */
export function createProviderPages(render: RenderPage): ProviderPages {
  return {
    async renderError(ctx, out) {
      ctx.type = 'html';
      const client = ctx.oidc?.client;
      ctx.body = await render('error', { ...pageOf(ctx, 'error.title'), showRequestId: true }, {
        message: FRIENDLY_ERRORS.has(out.error) ? `oidcError.${out.error}` : 'oidcError.other',
        code: out.error,
        // Back to the app when it registered a home page (client_uri), else the account page.
        wayOn: client?.clientUri && /^https?:\/\//.test(client.clientUri) ? { href: client.clientUri, label: { key: 'error.backTo', params: { client: client.clientName ?? client.clientId } } } : { href: '/account', label: 'common.goToAccount' },
      });
    },
    async logoutSource(ctx, form) {
      ctx.type = 'html';
      const client = ctx.oidc.client;
      ctx.body = await render('logout', pageOf(ctx, 'title.signOut'), {
        // `form` is oidc-provider's own hidden form carrying its CSRF token (trusted markup).
        providerForm: form,
        clientName: client?.clientName ?? client?.clientId,
      });
    },
    async postLogoutSuccessSource(ctx) {
      ctx.type = 'html';
      ctx.body = await render('signed-out', pageOf(ctx, 'title.signedOut'), {
        clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId,
      });
    },
  };
}
