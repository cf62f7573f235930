import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import * as fc from 'fast-check';
import { CameraInventory, CameraSpec, StreamTransport, validateCameras } from '../../lib/cameras/camera-inventory';

let directory: string;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'camera-inventory-'));
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

function writeTemp(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text, 'utf8');
  return path;
}

function csv(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** The message `run` throws, so tests can check what it must not contain. */
function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error: unknown) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('expected an error');
}

describe('CameraInventory.fromFile: YAML', () => {
  test('reads a top-level list with every field', () => {
    const path = writeTemp(
      'list.yaml',
      [
        '# cameras of plant 1',
        '- id: cam-1',
        '  url: rtsp://10.0.0.11:554/stream1',
        '  transport: udp',
        '  credentials:',
        '    secretName: plant-1-cameras',
        '    usernameKey: user',
        '    passwordKey: pass',
        '  labels:',
        '    site: plant-1',
        '    line: 007',
        '- id: cam-2',
        '  url: rtsps://cam-2.plant-1.local/live',
        '',
      ].join('\n'),
    );
    expect(CameraInventory.fromFile(path).cameras).toEqual<CameraSpec[]>([
      {
        id: 'cam-1',
        url: 'rtsp://10.0.0.11:554/stream1',
        transport: StreamTransport.UDP,
        credentials: { secretName: 'plant-1-cameras', usernameKey: 'user', passwordKey: 'pass' },
        // Kept as text: '007' must not turn into the number 7.
        labels: { site: 'plant-1', line: '007' },
      },
      { id: 'cam-2', url: 'rtsps://cam-2.plant-1.local/live' },
    ]);
  });

  test('reads a cameras mapping from a .yml file, leaving out fields that were not given', () => {
    const path = writeTemp('mapping.YML', 'cameras:\n  - id: cam-1\n    url: rtsp://cam-1/live\n');
    const [camera] = CameraInventory.fromFile(path).cameras;
    expect(camera).toStrictEqual({ id: 'cam-1', url: 'rtsp://cam-1/live' });
  });

  test('reads an empty list', () => {
    expect(CameraInventory.fromYaml('cameras: []').cameras).toEqual([]);
  });
});

describe('CameraInventory.fromFile: CSV', () => {
  test('reads rows, turning extra columns into labels and skipping comments and blank lines', () => {
    const path = writeTemp(
      'cams.csv',
      csv(
        '# exported from the site survey',
        'id,url,site,line,transport,secretName,usernameKey,passwordKey',
        '',
        'cam-1,rtsp://10.0.0.11/stream,plant-1,l1,,,,',
        '   # a commented-out camera',
        'cam-2, "rtsp://cam-2/live?channels=1,2" ,plant-1,,udp,plant-1-cameras,,pass',
      ),
    );
    expect(CameraInventory.fromFile(path).cameras).toStrictEqual([
      { id: 'cam-1', url: 'rtsp://10.0.0.11/stream', labels: { site: 'plant-1', line: 'l1' } },
      {
        id: 'cam-2',
        url: 'rtsp://cam-2/live?channels=1,2',
        credentials: { secretName: 'plant-1-cameras', passwordKey: 'pass' },
        transport: StreamTransport.UDP,
        labels: { site: 'plant-1' },
      },
    ]);
  });

  test('reads doubled quotes, quoted headers, CRLF line ends and a byte-order mark', () => {
    const text = '\uFEFF"id","url"\r\ncam-1,"rtsp://cam-1/live?title=""front door"""\r\n';
    expect(CameraInventory.fromCsv(text).cameras).toEqual([
      { id: 'cam-1', url: 'rtsp://cam-1/live?title="front door"' },
    ]);
  });

  test('reads a header without rows as no cameras', () => {
    expect(CameraInventory.fromCsv('id,url\n').cameras).toEqual([]);
  });
});

describe('CameraInventory.of and validateCameras', () => {
  test('keeps the cameras in order and cannot be changed afterwards', () => {
    const cameras: CameraSpec[] = [
      { id: 'cam-2', url: 'rtsp://cam-2/live', labels: { site: 'a' } },
      { id: 'cam-1', url: 'rtsp://cam-1/live', transport: StreamTransport.TCP },
    ];
    const inventory = CameraInventory.of(cameras);
    cameras.pop();
    expect(inventory.cameras.map((camera) => camera.id)).toEqual(['cam-2', 'cam-1']);
    expect(Object.isFrozen(inventory.cameras)).toBe(true);
  });

  test('validateCameras names the owner and the array index', () => {
    expect(() => validateCameras([{ id: 'cam-1', url: 'rtsp://cam-1' }, { id: 'Cam 2', url: 'rtsp://cam-2' }], 'Site a')).toThrow(
      /^Site a: 'cameras\[1\]\.id' \(Cam 2\) must be a DNS-1123 label.*Rename it, e.g. 'cam-2'$/,
    );
    expect(() => validateCameras([{ id: 'cam-1', url: 'rtsp://cam-1' }], 'Site a')).not.toThrow();
  });

  test('refuses duplicate ids, naming both indexes', () => {
    expect(() => CameraInventory.of([{ id: 'cam-1', url: 'rtsp://a' }, { id: 'cam-1', url: 'rtsp://b' }])).toThrow(
      /^CameraInventory: 'cameras\[1\]\.id' \(cam-1\) must be unique, but cameras\[0\] already uses it/,
    );
  });
});

describe('camera refusals name the file, the line, the property and the value', () => {
  const header = 'id,url,site,transport,secretName,usernameKey,passwordKey';
  const padding = ['# line 2', '', '# line 4', '', ''];
  /** Puts `row` on line 7 of cams.csv, like the example in the docs. */
  const fromRowOnLine7 = (row: string) => () => CameraInventory.fromCsv(csv(header, ...padding, row), 'cams.csv');

  test.each([
    ['an http URL', 'cam-1,http://x,,,,,', /^CameraInventory 'cams\.csv' line 7: 'url' \(http:\/\/x\) must use scheme rtsp or rtsps\. Use an rtsp:\/\/ or rtsps:\/\/ URL$/],
    ['a URL that does not parse', 'cam-1,rtsp://cam:port/x,,,,,', /line 7: 'url' \(rtsp:\/\/cam:port\/x\) must be a valid URL\. Write it like rtsp:\/\//],
    ['a URL without host', 'cam-1,rtsp:/stream,,,,,', /line 7: 'url' \(rtsp:\/stream\) must name a host/],
    ['a missing URL', 'cam-1,,,,,,', /line 7: 'url' must be set\. Add the camera's stream URL/],
    ['an id with capitals', 'Cam_1,rtsp://cam,,,,,', /line 7: 'id' \(Cam_1\) must be a DNS-1123 label: .*\. Rename it, e.g\. 'cam-1'$/],
    ['an id over 63 characters', `${'c'.repeat(64)},rtsp://cam,,,,,`, new RegExp(`line 7: 'id' \\(c{64}\\) must be a DNS-1123 label`)],
    ['an id ending in a dash', 'cam-,rtsp://cam,,,,,', /line 7: 'id' \(cam-\) must be a DNS-1123 label/],
    ['a missing id', ',rtsp://cam,,,,,', /line 7: 'id' must be set/],
    ['an unknown transport', 'cam-1,rtsp://cam,,TCP,,,', /line 7: 'transport' \(TCP\) must be tcp or udp\. Leave it out to get tcp/],
    ['a label value with spaces', 'cam-1,rtsp://cam,plant 1,,,,', /line 7: 'site' \(plant 1\) must be a Kubernetes label value/],
    ['a label value over 63 characters', `cam-1,rtsp://cam,${'s'.repeat(64)},,,,`, /line 7: 'site' \(s{64}\) must be a Kubernetes label value/],
    ['a Secret name with capitals', 'cam-1,rtsp://cam,,,Cam-Secret,,', /line 7: 'secretName' \(Cam-Secret\) must be a Kubernetes object name/],
    ['a bad Secret key', 'cam-1,rtsp://cam,,,cams,user name,', /line 7: 'usernameKey' \(user name\) must be a Secret data key/],
    ['equal Secret keys', 'cam-1,rtsp://cam,,,cams,key,key', /line 7: 'passwordKey' \(key\) must differ from the username key/],
    ['a Secret key without Secret', 'cam-1,rtsp://cam,,,,user,', /line 7: 'usernameKey' \(user\) must come with a secretName/],
  ])('refuses %s', (_, row, message) => {
    expect(fromRowOnLine7(row)).toThrow(message);
  });

  test('accepts a valid row in the same place', () => {
    expect(fromRowOnLine7('cam-1,rtsp://cam,plant-1,tcp,cams,user,pass')).not.toThrow();
  });

  test('refuses a duplicate id, naming both lines', () => {
    const text = csv('id,url', 'cam-1,rtsp://a', 'cam-2,rtsp://b', 'cam-1,rtsp://c');
    expect(() => CameraInventory.fromCsv(text, 'cams.csv')).toThrow(
      /^CameraInventory 'cams\.csv' line 4: 'id' \(cam-1\) must be unique, but line 2 already uses it\. Rename one of the two cameras$/,
    );
  });

  test('names no source when none is given', () => {
    expect(() => CameraInventory.fromCsv(csv('id,url', 'cam-1,http://x'))).toThrow(/^CameraInventory line 2: 'url' \(http:\/\/x\)/);
  });

  /** A camera on line 1 whose url is on line 2, followed by `extra` from line 3 on. */
  const yamlCamera = (extra: string, url = 'rtsp://cam-1/live') => `- id: cam-1\n  url: ${url}\n${extra}\n`;

  test.each([
    ['an http URL', yamlCamera('', 'http://x'), /^CameraInventory 'cams\.yaml' line 2: 'url' \(http:\/\/x\) must use scheme rtsp or rtsps/],
    ['an unknown transport', yamlCamera('  transport: quic'), /line 3: 'transport' \(quic\) must be tcp or udp/],
    ['a bad label key', yamlCamera('  labels:\n    site: a\n    Bad Key: b'), /line 5: 'labels' \(Bad Key\) must be a Kubernetes label key/],
    ['a bad label value', yamlCamera('  labels:\n    site: a b'), /line 4: 'labels\.site' \(a b\) must be a Kubernetes label value/],
    ['a missing Secret name', yamlCamera('  credentials:\n    usernameKey: u'), /line 3: 'credentials\.secretName' must be set/],
    ['a bad Secret name', yamlCamera('  credentials:\n    secretName: -x'), /line 4: 'credentials\.secretName' \(-x\) must be a Kubernetes object name/],
  ])('refuses %s in YAML', (_, text, message) => {
    expect(() => CameraInventory.fromYaml(text, 'cams.yaml')).toThrow(message);
  });

  test('refuses a duplicate id in YAML, naming the lines of both ids', () => {
    const text = '- id: cam-1\n  url: rtsp://a\n- url: rtsp://b\n  id: cam-1\n';
    expect(() => CameraInventory.fromYaml(text, 'cams.yaml')).toThrow(
      /^CameraInventory 'cams\.yaml' line 4: 'id' \(cam-1\) must be unique, but line 1 already uses it/,
    );
  });

  test('refuses a camera without id in YAML, pointing at the camera', () => {
    expect(() => CameraInventory.fromYaml('- id: cam-1\n  url: rtsp://a\n- url: rtsp://b\n', 'cams.yaml')).toThrow(
      /^CameraInventory 'cams\.yaml' line 3: 'id' must be set/,
    );
  });
});

describe('CSV structure refusals', () => {
  test.each([
    ['no header', '# nothing yet\n\n', /^CameraInventory 'cams\.csv': 'header' must be present/],
    ['a header without id', 'name,url\n', /^CameraInventory 'cams\.csv' line 1: 'header' \(name,url\) must include the columns id and url\. Add id$/],
    ['a header without id and url', 'site\n', /line 1: 'header' \(site\) must include the columns id and url\. Add id and url$/],
    ['a repeated column', 'id,url,site,site\n', /line 1: 'header' \(site\) must name each column once/],
    ['an unnamed column', 'id,url,,site\n', /line 1: 'header' \(column 3\) must have a name/],
    ['a column that is not a label key', 'id,url,plant site\n', /line 1: 'header' \(plant site\) must be a Kubernetes label key/],
    ['a password column', 'id,url,password\n', /line 1: 'header' \(password\) must not hold credentials\. Store the username and password in a Kubernetes Secret/],
    ['a short row', 'id,url,site\ncam-1,rtsp://a\n', /line 2: 'row' \(2 cells\) must have as many cells as the header on line 1 \(3\)/],
    ['a long row', 'id,url\ncam-1,rtsp://a/x,y\n', /line 2: 'row' \(3 cells\) must have as many cells as the header on line 1 \(2\)/],
    ['an unclosed quote', 'id,url\ncam-1,"rtsp://a\n', /line 2: 'row' must close every quoted cell/],
    ['text after a closing quote', 'id,url\ncam-1,"rtsp://a"x\n', /line 2: 'row' must have a comma right after a closing quote/],
    ['a quote inside a plain cell', 'id,url\ncam-1,rtsp://a"b\n', /line 2: 'row' must quote a cell that contains '"'/],
  ])('refuses %s', (_, text, message) => {
    expect(() => CameraInventory.fromCsv(text, 'cams.csv')).toThrow(message);
  });
});

describe('YAML structure refusals', () => {
  test.each([
    ['a syntax error', '- id: cam-1\n  url: [rtsp://a\n', /^CameraInventory 'cams\.yaml' line \d+: the YAML must parse \(.+\)\. Fix the syntax$/],
    ['a document that is not a list', 'id: cam-1\n', /^CameraInventory 'cams\.yaml' line 1: the document must be a list of cameras/],
    ['an empty document', '', /line 1: the document must be a list of cameras/],
    ['extra keys next to cameras', 'cameras: []\nsites: []\n', /line 1: the document must be a list of cameras or a mapping with only a 'cameras' list/],
    ['a camera that is not a mapping', '- id: cam-1\n  url: rtsp://a\n- cam-2\n', /line 3: 'camera' must be a mapping of fields/],
    ['an unknown field', '- id: cam-1\n  url: rtsp://a\n  trasnport: tcp\n', /line 3: 'trasnport' must be one of id, url, transport, credentials, labels\. Fix the spelling or remove it$/],
    ['an unknown credentials field', '- id: cam-1\n  url: rtsp://a\n  credentials:\n    name: s\n', /line 4: 'credentials\.name' must be one of secretName, usernameKey, passwordKey/],
    ['credentials that are not a mapping', '- id: cam-1\n  url: rtsp://a\n  credentials: s\n', /line 3: 'credentials' must be a mapping of fields/],
    ['a url that is a list', '- id: cam-1\n  url:\n    - rtsp://a\n', /line 3: 'url' must be a single value, not a list or mapping/],
  ])('refuses %s', (_, text, message) => {
    expect(() => CameraInventory.fromYaml(text, 'cams.yaml')).toThrow(message);
  });
});

describe('CameraInventory.fromFile refusals', () => {
  test('refuses an unknown extension, naming it', () => {
    expect(() => CameraInventory.fromFile(writeTemp('cams.json', '[]'))).toThrow(
      /^CameraInventory: 'path' \(.*cams\.json\) must end in \.yaml, \.yml or \.csv, not '\.json'\. Rename the file/,
    );
    expect(() => CameraInventory.fromFile('cameras')).toThrow(/'path' \(cameras\) must end in \.yaml, \.yml or \.csv, not ''/);
  });

  test('refuses a missing file, naming the path', () => {
    expect(() => CameraInventory.fromFile(join(directory, 'absent.csv'))).toThrow(
      /^CameraInventory: 'path' \(.*absent\.csv\) must be a readable file \(ENOENT\)/,
    );
  });

  test('names the file path in row errors', () => {
    const path = writeTemp('bad.csv', csv('id,url', 'cam-1,http://x'));
    expect(() => CameraInventory.fromFile(path)).toThrow(`CameraInventory '${path}' line 2: 'url' (http://x)`);
  });
});

describe('a file with another separator', () => {
  test.each([
    ['semicolons', 'id;url;site\ncam-1;rtsp://10.0.0.1/live;yard\n', "';'"],
    ['tabs', 'id\turl\tsite\ncam-1\trtsp://10.0.0.1/live\tyard\n', 'tab'],
  ])('is named as such when its columns are separated by %s', (_, text, shown) => {
    expect(() => CameraInventory.fromCsv(text, 'cams.csv'))
      .toThrow(new RegExp(`^CameraInventory 'cams\\.csv' line 1: 'header' \\(.*\\) must be comma-separated, but this file separates columns with ${shown}\\. Export it as CSV with commas`));
  });

  test('a comma-separated header with a semicolon in a column name is judged by the label-key rule, not taken for another separator', () => {
    const load = () => CameraInventory.fromCsv('id,url,"site;area"\ncam-1,rtsp://10.0.0.1/live,yard\n', 'cams.csv');
    expect(load).toThrow(/'header' \(site;area\) must be a Kubernetes label key/);
  });
});

describe('passwords never appear in error messages', () => {
  const password = 'Zq9-hunter2';

  test.each([
    ['userinfo in a CSV URL', () => CameraInventory.fromCsv(csv('id,url', `cam-1,rtsp://admin:${password}@cam/live`), 'cams.csv')],
    ['userinfo in a YAML URL', () => CameraInventory.fromYaml(`- id: cam-1\n  url: rtsp://admin:${password}@cam/live\n`, 'cams.yaml')],
    ['userinfo in code', () => CameraInventory.of([{ id: 'cam-1', url: `rtsp://admin:${password}@cam/live` }])],
  ])('refuses %s, showing *** instead', (_, load) => {
    const message = messageOf(load);
    expect(message).toMatch(/url' \(rtsp:\/\/\*\*\*@cam\/live\) must not contain a username or password\. Store the username and password in a Kubernetes Secret and reference it with 'credentials'/);
    expect(message).not.toContain(password);
    expect(message).not.toContain('admin');
  });

  test.each([
    ['a password with a slash in an http URL', `http://admin:${password}/x@cam/live`],
    ['a password in the query string', `http://cam/live?user=admin&password=${password}`],
    ['a password with # and @', `rtsp://admin:${password}#@x@cam/live`],
  ])('hides %s', (_, url) => {
    const message = messageOf(() => CameraInventory.fromCsv(csv('id,url', `cam-1,"${url}"`), 'cams.csv'));
    expect(message).toMatch(/^CameraInventory 'cams\.csv' line 2: 'url' \(.*\*\*\*.*\) must/);
    expect(message).not.toContain(password);
  });

  test.each([
    ['a token in the query string', `rtsp://cam/live?channel=1&token=${password}`, "'token'"],
    ['an API key in camelCase', `rtsps://cam/live?apiKey=${password}`, "'apiKey'"],
    ['a password in a path parameter', `rtsp://cam/user=admin_password=${password}_channel=1_stream=0.sdp`, "'password'"],
    ['an auth matrix parameter', `rtsp://cam/live;auth=${password}`, "'auth'"],
  ])('refuses credentials in the query or path, %s, naming the parameter and masking its value', (_, url, name) => {
    const message = messageOf(() => CameraInventory.of([{ id: 'cam-1', url }]));
    expect(message).toContain(`must not carry credentials in its query or path (${name}). Store the username and password in a Kubernetes Secret`);
    expect(message).toContain('=***');
    expect(message).not.toContain(password);
  });

  test('ordinary stream parameters pass: transportmode, channel, subtype', () => {
    expect(CameraInventory.of([{ id: 'cam-1', url: 'rtsp://cam/cam/realmonitor?channel=1&subtype=0&transportmode=unicast' }]).cameras).toHaveLength(1);
  });

  test.each([
    ['a password column', () => CameraInventory.fromCsv(csv('id,url,password', `cam-1,rtsp://cam,${password}`))],
    ['a password field', () => CameraInventory.fromYaml(`- id: cam-1\n  url: rtsp://cam\n  password: ${password}\n`)],
    ['a password label', () => CameraInventory.fromYaml(`- id: cam-1\n  url: rtsp://cam\n  labels:\n    password: ${password}\n`)],
    ['a YAML syntax error on the URL line', () => CameraInventory.fromYaml(`- id: cam-1\n  url: "rtsp://admin:${password}@cam\n`)],
    ['a CSV quoting error on the URL line', () => CameraInventory.fromCsv(csv('id,url', `cam-1,"rtsp://admin:${password}@cam`))],
    ['a short CSV row holding a URL', () => CameraInventory.fromCsv(csv('id,url,site', `cam-1,rtsp://admin:${password}@cam`))],
  ])('does not echo %s', (_, load) => {
    expect(messageOf(load)).not.toContain(password);
  });

  test('hides any password in the userinfo of any URL', () => {
    const passwordArb = fc
      .string({ unit: fc.constantFrom(...'abcXYZ0129-._~!$&\'()*+,;=:@/?#%'.split('')), minLength: 4, maxLength: 16 })
      .map((tail) => `Zq9${tail}`);
    const schemeArb = fc.constantFrom('rtsp', 'rtsps', 'http');
    fc.assert(
      fc.property(passwordArb, schemeArb, (secret, scheme) => {
        const url = `${scheme}://admin:${secret}@cam-1.local:554/live`;
        const loads = [
          () => CameraInventory.of([{ id: 'cam-1', url }]),
          () => CameraInventory.fromCsv(csv('id,url', `cam-1,"${url.replace(/"/g, '""')}"`)),
          () => CameraInventory.fromYaml(`- id: cam-1\n  url: ${JSON.stringify(url)}\n`),
        ];
        for (const load of loads) {
          expect(messageOf(load)).not.toContain(secret);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('CameraInventory: fixed in #8', () => {
  test.each(['.', '..', '..data'])('refuses the Secret key %s, which the API server refuses in a secretKeyRef', (key) => {
    expect(() => CameraInventory.of([{ id: 'cam-1', url: 'rtsp://10.0.0.1/live', credentials: { secretName: 'cams', passwordKey: key } }]))
      .toThrow(/^CameraInventory: 'cameras\[0\]\.credentials\.passwordKey' \(\.[.a-z]*\) must be a Secret data key/);
  });
});
