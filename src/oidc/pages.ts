import type { KoaContextWithOIDC } from 'oidc-provider';
import type { RenderPage } from '../lib/view-renderer.ts';

/** Error descriptions oidc-provider may show to end users; anything else gets a generic line. */
const FRIENDLY_ERRORS: Record<string, string> = {
  invalid_request: 'The application sent an invalid sign-in request.',
  invalid_client: 'The application is not registered with this sign-in service.',
  invalid_redirect_uri: 'The application asked to return to an address it has not registered.',
  unauthorized_client: 'The application is not allowed to sign you in this way.',
  invalid_scope: 'The application asked for access that is not available.',
  unsupported_response_type: 'The application asked for a kind of response this service does not give.',
  access_denied: 'Access was denied.',
  session_not_found: 'Your sign-in session has expired. Go back to the application and start again.',
  server_error: 'Something went wrong on our side. Try again in a moment.',
};

export interface ProviderPages {
  renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string | undefined }): Promise<void>;
  logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void>;
  postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void>;
}

const requestIdOf = (ctx: KoaContextWithOIDC): string | undefined => (ctx.state as { requestId?: string }).requestId;

/** The pages oidc-provider renders itself (docs: #rendererror, #featuresrpinitiatedlogout), in Keyward's layout. */
export function createProviderPages(render: RenderPage): ProviderPages {
  return {
    async renderError(ctx, out) {
      ctx.type = 'html';
      const client = ctx.oidc?.client;
      ctx.body = await render('error', { title: 'Something went wrong', requestId: requestIdOf(ctx), showRequestId: true }, {
        message: FRIENDLY_ERRORS[out.error] ?? 'The request could not be completed.',
        code: out.error,
        // Back to the app when it registered a home page (client_uri), else the account page.
        wayOn: client?.clientUri && /^https?:\/\//.test(client.clientUri) ? { href: client.clientUri, label: `Back to ${client.clientName ?? client.clientId}` } : { href: '/account', label: 'Go to your account' },
      });
    },
    async logoutSource(ctx, form) {
      ctx.type = 'html';
      const client = ctx.oidc.client;
      ctx.body = await render('logout', { title: 'Sign out', requestId: requestIdOf(ctx) }, {
        // `form` is oidc-provider's own hidden form carrying its CSRF token (trusted markup).
        providerForm: form,
        clientName: client?.clientName ?? client?.clientId,
      });
    },
    async postLogoutSuccessSource(ctx) {
      ctx.type = 'html';
      ctx.body = await render('signed-out', { title: 'Signed out', requestId: requestIdOf(ctx) }, {
        clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId,
      });
    },
  };
}
