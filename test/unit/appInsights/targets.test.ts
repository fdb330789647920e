// What a user may paste to connect, and what the connections setting may hold: validated, never trusted.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTarget, readConnections, toSetting } from '../../../src/appInsights/targets';

const SUB = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const COMPONENT = `/subscriptions/${SUB}/resourceGroups/rg-llm/providers/microsoft.insights/components/prod-insights`;
const WORKSPACE = `/subscriptions/${SUB}/resourceGroups/rg-llm/providers/Microsoft.OperationalInsights/workspaces/ws-prod`;

describe('Application Insights targets', () => {
  it('reads the three forms: a component, a workspace resource id, a workspace GUID', () => {
    assert.deepEqual(parseTarget(COMPONENT), { kind: 'component', resourceId: COMPONENT });
    assert.deepEqual(parseTarget(` ${WORKSPACE}/ `), { kind: 'workspaceResource', resourceId: WORKSPACE });
    assert.deepEqual(parseTarget('7D1A4C3E-0000-4000-8000-00000000A11C'), {
      kind: 'workspace',
      workspaceId: '7d1a4c3e-0000-4000-8000-00000000a11c',
    });
  });

  it('takes the resource out of a portal URL', () => {
    const url = `https://portal.azure.com/#@contoso.onmicrosoft.com/resource${COMPONENT}/overview`;
    assert.deepEqual(parseTarget(url), { kind: 'component', resourceId: COMPONENT });
  });

  it('refuses anything else, hostile text included', () => {
    for (const bad of [
      '',
      'not an id',
      `${COMPONENT}" | union *`,
      `/subscriptions/${SUB}/resourceGroups/rg/providers/microsoft.web/sites/app`,
      '7d1a4c3e-0000-4000-8000-00000000a11c; drop',
      `/subscriptions/${SUB}/resourceGroups/rg\n/providers/microsoft.insights/components/x`,
    ]) {
      assert.equal(parseTarget(bad), undefined, JSON.stringify(bad));
    }
  });

  it('reads the connections setting, keeps names, drops duplicates and reports what is invalid', () => {
    const { connections, invalid } = readConnections([
      { name: 'prod', resourceId: COMPONENT },
      { workspaceId: '7d1a4c3e-0000-4000-8000-00000000a11c' },
      { name: 'again', resourceId: COMPONENT.toUpperCase().replace('/SUBSCRIPTIONS', '/subscriptions') },
      { name: 'broken', resourceId: 'x' },
      'nonsense',
    ]);
    assert.deepEqual(
      connections.map((c) => [c.name, c.target.kind]),
      [
        ['prod', 'component'],
        ['workspace 7d1a4c3e', 'workspace'],
      ],
    );
    assert.equal(invalid.length, 2);
    assert.deepEqual(readConnections(undefined), { connections: [], invalid: [] });
  });

  it('writes back identifiers only', () => {
    assert.deepEqual(toSetting('prod', { kind: 'component', resourceId: COMPONENT }), {
      name: 'prod',
      resourceId: COMPONENT,
    });
    assert.deepEqual(toSetting('ws', { kind: 'workspace', workspaceId: 'abc' }), {
      name: 'ws',
      workspaceId: 'abc',
    });
  });
});
