// The VS Code sign-in as a TokenCredential, against a fake getSession (the Microsoft sign-in itself needs the
// network): the scopes the SDK asks for reach VS Code, a tenant is added for guests, and no session means
// "sign in", not a refusal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sessionCredential } from '../../../src/appInsights/credential';
import { toQueryError } from '../../../src/appInsights/client';

describe('sessionCredential', () => {
  it('asks VS Code for the scopes the SDK asks for and hands back its token', async () => {
    const asked: string[][] = [];
    const credential = sessionCredential(async (scopes) => {
      asked.push(scopes);
      return { accessToken: 'token-from-vscode' };
    });
    const token = await credential.getToken('https://api.loganalytics.io/.default');
    assert.equal(token?.token, 'token-from-vscode');
    assert.ok(token!.expiresOnTimestamp > Date.now());
    assert.deepEqual(asked, [['https://api.loganalytics.io/.default']]);
  });

  it('adds the tenant for a guest account, from the setting or from the SDK', async () => {
    const asked: string[][] = [];
    const credential = sessionCredential(async (scopes) => {
      asked.push(scopes);
      return { accessToken: 't' };
    }, 'contoso.onmicrosoft.com');
    await credential.getToken(['https://management.azure.com/.default']);
    await credential.getToken(['https://api.loganalytics.io/.default'], { tenantId: 'fabrikam.com' });
    assert.deepEqual(asked, [
      ['https://management.azure.com/.default', 'VSCODE_TENANT:contoso.onmicrosoft.com'],
      ['https://api.loganalytics.io/.default', 'VSCODE_TENANT:fabrikam.com'],
    ]);
  });

  it('without a session, fails as "not signed in", and the query error says to sign in', async () => {
    const credential = sessionCredential(async () => undefined);
    const err = await credential.getToken('https://api.loganalytics.io/.default').catch((e: unknown) => e);
    assert.ok(err instanceof Error);
    const mapped = toQueryError(err, { kind: 'workspace', workspaceId: 'w' });
    assert.equal(mapped.kind, 'notSignedIn');
    assert.match(mapped.action, /Sign in/);
  });
});
