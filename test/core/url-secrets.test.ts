import * as fc from 'fast-check';
import { findUrlSecret, isSecretName, maskUrlSecrets } from '../../lib/core/url-secrets';

describe('credentials in URLs', () => {
  test('secret-looking names in any case and spelling, and not their look-alikes', () => {
    for (const name of ['password', 'PASS', 'pwd', 'token', 'access_token', 'accessToken', 'apiKey', 'X-Auth', 'client_secret', 'credentials']) expect({ name, secret: isSecretName(name) }).toEqual({ name, secret: true });
    for (const name of ['user', 'channel', 'transportmode', 'stream', 'subtype', 'resolution']) expect({ name, secret: isSecretName(name) }).toEqual({ name, secret: false });
    // Broad on purpose: a look-alike costs moving the URL to a Secret; a missed credential ends up in Git.
    for (const name of ['keyframe', 'author', 'api%5Fkey', 'pass%77ord']) expect({ name, secret: isSecretName(name) }).toEqual({ name, secret: true });
  });

  test('a URL without credentials comes back unchanged', () => {
    expect(findUrlSecret('rtsp://10.0.0.1:554/Streaming/Channels/101?transportmode=unicast')).toBeUndefined();
    expect(maskUrlSecrets('https://hooks.example.com/services/alerts')).toBe('https://hooks.example.com/services/alerts');
  });

  test('the secret value never survives masking, wherever it stands', () => {
    const secretName = fc.constantFrom('password', 'token', 'api_key', 'Secret', 'authToken', 'pwd');
    const value = fc.stringMatching(/^[A-Za-z0-9_.~-]{6,16}$/);
    const layout = fc.constantFrom(
      (n: string, v: string) => `rtsp://cam.local/live?channel=1&${n}=${v}`,
      (n: string, v: string) => `https://hooks.example.com/x?${n}=${v}#frag`,
      (n: string, v: string) => `rtsp://cam.local/user=admin_${n}=${v}_channel=1.sdp`,
      (n: string, v: string) => `rtsp://cam.local/live;${n}=${v}/stream`,
      (_n: string, v: string) => `rtsp://admin:${v}@cam.local/live`,
    );
    fc.assert(fc.property(secretName, value, layout, (name, secret, make) => {
      const found = findUrlSecret(make(name, secret));
      expect(found).toBeDefined();
      expect(found!.masked).not.toContain(secret);
      expect(found!.masked).toContain('***');
    }), { numRuns: 300 });
  });
});
