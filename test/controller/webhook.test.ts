import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concernsRef, pushedRef, verifyWebhook } from '../../src/controller/index.js';

const secret = 'a-shared-secret';
const body = Buffer.from('{"ref":"refs/heads/main"}');
const hmac = (key: string, data: Buffer = body): string => `sha256=${createHmac('sha256', key).update(data).digest('hex')}`;

describe('verifyWebhook', () => {
  it('accepts GitHub, GitLab and generic signatures made with the secret', () => {
    expect(verifyWebhook(secret, { 'x-hub-signature-256': hmac(secret) }, body)).toEqual({ ok: true, sender: 'github' });
    expect(verifyWebhook(secret, { 'x-kasane-signature': hmac(secret).toUpperCase().replace('SHA256=', 'sha256=') }, body)).toEqual({ ok: true, sender: 'generic' });
    expect(verifyWebhook(secret, { 'x-gitlab-token': secret }, body)).toEqual({ ok: true, sender: 'gitlab' });
  });

  it('refuses another key, another body, truncated or malformed signatures, and a missing one', () => {
    const refused = (headers: Record<string, string>, data: Buffer = body): boolean => !verifyWebhook(secret, headers, data).ok;
    expect(refused({ 'x-hub-signature-256': hmac('other') })).toBe(true);
    expect(refused({ 'x-hub-signature-256': hmac(secret) }, Buffer.from('{"ref":"refs/heads/evil"}'))).toBe(true);
    expect(refused({ 'x-hub-signature-256': hmac(secret).slice(0, 40) })).toBe(true);
    expect(refused({ 'x-hub-signature-256': hmac(secret).replace('sha256=', 'sha1=') })).toBe(true);
    expect(refused({ 'x-gitlab-token': `${secret}x` })).toBe(true);
    expect(refused({ 'x-gitlab-token': secret.slice(0, -1) })).toBe(true);
    expect(refused({ 'x-gitlab-token': '' })).toBe(true);
    expect(refused({})).toBe(true);
    // A valid GitLab token does not excuse a wrong GitHub signature sent alongside.
    expect(refused({ 'x-hub-signature-256': hmac('other'), 'x-gitlab-token': secret })).toBe(true);
  });
});

describe('pushed refs', () => {
  it('matches the followed branch or tag in its full or short form; a payload without a ref always matches', () => {
    expect(pushedRef({ ref: 'refs/heads/main' })).toBe('refs/heads/main');
    expect(pushedRef([])).toBeUndefined();
    expect(concernsRef('refs/heads/main', 'main')).toBe(true);
    expect(concernsRef('refs/tags/v1.0.0', 'v1.0.0')).toBe(true);
    expect(concernsRef('main', 'main')).toBe(true);
    expect(concernsRef('refs/heads/feature', 'main')).toBe(false);
    expect(concernsRef('refs/heads/mainline', 'main')).toBe(false);
    expect(concernsRef(undefined, 'main')).toBe(true);
  });
});
