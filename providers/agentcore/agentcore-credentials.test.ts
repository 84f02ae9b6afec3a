import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsIdentity } from '#libs/config';
import { RuntimeError } from '#libs/runtime-spec';
import { AgentCoreClients } from './agentcore-clients.js';
import type { AgentCoreTarget } from './agentcore-target.js';

/**
 * The AgentCore emulator serves no STS, so STS is a local listener here that
 * answers AssumeRole as AWS documents it and records what the SDK sent:
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
const assumeRoleCalls: Array<{ form: URLSearchParams; authorization: string }> = [];
let sts: Server;
let stsEndpoint = '';

const identities = new Map<string, AwsIdentity>([
  ['bu-finance', { kind: 'aws', name: 'bu-finance', roleArn: 'arn:aws:iam::111111111111:role/finance-agents', externalId: 'finance-ext-7' }],
  ['bu-retail', { kind: 'aws', name: 'bu-retail', roleArn: 'arn:aws:iam::222222222222:role/retail-agents', sessionName: 'retail-broker' }],
]);
const target = (identity?: string): AgentCoreTarget => ({
  agentRuntimeArn: 'arn:aws:bedrock-agentcore:eu-west-1:111111111111:runtime/refund-AbC123xYz0',
  responseCodec: 'strands',
  ...(identity ? { identity } : {}),
});

before(async () => {
  // The broker's own credentials (the default chain; in a pod, IRSA or Pod Identity): they sign AssumeRole.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDBROKERPLATFORM';
  process.env.AWS_SECRET_ACCESS_KEY = 'broker-platform-secret';
  sts = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const form = new URLSearchParams(body);
      assumeRoleCalls.push({ form, authorization: String(request.headers.authorization ?? '') });
      const account = /iam::(\d{12}):/.exec(form.get('RoleArn') ?? '')?.[1] ?? '000000000000';
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
        <Credentials><AccessKeyId>ASIA${account}</AccessKeyId><SecretAccessKey>secret-${account}</SecretAccessKey>
        <SessionToken>token-${account}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
        <AssumedRoleUser><Arn>${form.get('RoleArn')}/${form.get('RoleSessionName')}</Arn><AssumedRoleId>AROA:${form.get('RoleSessionName')}</AssumedRoleId></AssumedRoleUser>
        </AssumeRoleResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></AssumeRoleResponse>`);
    });
  });
  await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', resolve));
  stsEndpoint = `http://127.0.0.1:${(sts.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((resolve) => sts.close(resolve));
});

test("a target naming an AWS identity signs with that identity's assumed role (STS AssumeRole with its role ARN and external id); one naming none with the broker's own", async () => {
  const clients = new AgentCoreClients({ kind: 'aws', stsEndpoint }, 5000, identities);
  try {
    const finance = await clients.invoke(target('bu-finance')).config.credentials();
    assert.equal(finance.accessKeyId, 'ASIA111111111111');
    assert.equal(finance.sessionToken, 'token-111111111111');
    assert.equal(assumeRoleCalls.length, 1);
    const [call] = assumeRoleCalls;
    assert.equal(call.form.get('Action'), 'AssumeRole');
    assert.equal(call.form.get('RoleArn'), 'arn:aws:iam::111111111111:role/finance-agents');
    assert.equal(call.form.get('ExternalId'), 'finance-ext-7');
    assert.equal(call.form.get('RoleSessionName'), 'switchboard-bu-finance');
    // Signed by the broker's own credentials, in the target's region.
    assert.match(call.authorization, /Credential=AKIDBROKERPLATFORM\/\d{8}\/eu-west-1\/sts\/aws4_request/);

    // Stop and the control plane act as the same identity; the three clients share its credentials.
    assert.equal((await clients.stop(target('bu-finance')).config.credentials()).accessKeyId, 'ASIA111111111111');
    assert.equal((await clients.control(target('bu-finance')).config.credentials()).accessKeyId, 'ASIA111111111111');

    // Another identity: its own role, no external id sent when it has none, its own session name.
    const retail = await clients.invoke(target('bu-retail')).config.credentials();
    assert.equal(retail.accessKeyId, 'ASIA222222222222');
    const retailCall = assumeRoleCalls.at(-1)!;
    assert.equal(retailCall.form.get('RoleArn'), 'arn:aws:iam::222222222222:role/retail-agents');
    assert.equal(retailCall.form.has('ExternalId'), false);
    assert.equal(retailCall.form.get('RoleSessionName'), 'retail-broker');

    // No identity: the default chain, no STS call.
    const calls = assumeRoleCalls.length;
    assert.equal((await clients.invoke(target()).config.credentials()).accessKeyId, 'AKIDBROKERPLATFORM');
    assert.equal(assumeRoleCalls.length, calls);
    assert.notEqual(clients.invoke(target('bu-finance')), clients.invoke(target('bu-retail')));
    assert.notEqual(clients.invoke(target('bu-finance')), clients.invoke(target()));
  } finally {
    clients.destroy();
  }
});

test('an identity the configuration does not hold is refused before any credential is built', () => {
  const clients = new AgentCoreClients({ kind: 'aws', stsEndpoint }, 5000, identities);
  const calls = assumeRoleCalls.length;
  assert.throws(
    () => clients.invoke(target('bu-unknown')),
    (error) => error instanceof RuntimeError && error.kind === 'invalid_target' && /no identity named "bu-unknown"/.test(error.message) && !error.turnAccepted,
  );
  assert.equal(assumeRoleCalls.length, calls);
  clients.destroy();
});
