// The user's own Microsoft sign-in in VS Code as the TokenCredential the Azure SDK asks for. Pure: the host
// passes `getSession`, a wrapper of vscode.authentication.getSession('microsoft', scopes, ...), so this is
// tested with a fake. Nothing here keeps, logs or returns a token beyond handing it to the SDK.

import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';

export interface SignInSession {
  accessToken: string;
}

/** Asks for a session with these scopes; undefined when the user declined or nothing is signed in. */
export type GetSession = (scopes: string[]) => Promise<SignInSession | undefined>;

export class SignInRequiredError extends Error {
  // The SDK and the error mapping know this name: it means "not signed in", not "refused".
  override name = 'AuthenticationRequiredError';
}

/** How long a token from a session is treated as valid: VS Code refreshes sessions itself. */
const SESSION_TOKEN_LIFETIME_MS = 5 * 60 * 1000;

/**
 * A TokenCredential over VS Code sessions. The SDK asks for `<audience>/.default`; VS Code's Microsoft
 * provider takes the same scopes, plus `VSCODE_TENANT:<tenant>` for a guest in another directory.
 */
export function sessionCredential(getSession: GetSession, tenant?: string): TokenCredential {
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const asked = Array.isArray(scopes) ? scopes : [scopes];
      const tenantId = options?.tenantId ?? tenant;
      const withTenant = tenantId ? [...asked, `VSCODE_TENANT:${tenantId}`] : asked;
      const session = await getSession(withTenant);
      if (!session) {
        throw new SignInRequiredError(
          'sign in with your Microsoft account in VS Code to query Application Insights',
        );
      }
      return { token: session.accessToken, expiresOnTimestamp: Date.now() + SESSION_TOKEN_LIFETIME_MS };
    },
  };
}

export type CredentialChoice = 'vscode' | 'azureCli' | 'default';
