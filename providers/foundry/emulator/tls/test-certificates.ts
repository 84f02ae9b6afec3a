import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { bitString, boolean, explicit, objectIdentifier, octetString, sequence, set, tlv, unsignedInteger, utcTime, utf8String } from './der.js';

/**
 * A throwaway certificate authority and a server certificate it issued, made
 * in memory when an emulator starts. Nothing is written to disk and the CA
 * key dies with the process, so trusting this CA (in one client, never
 * globally) trusts exactly this emulator.
 *
 * Why not `openssl` or a package: no X.509 generator is installed, and Node
 * has none built in, but it does have the hard parts (EC keys, SPKI export,
 * ECDSA signatures, and `X509Certificate` to check the result). What is left
 * is about forty lines of DER (der.ts), portable and with no child process.
 */
export interface EmulatorCertificates {
  /** PEM of the CA certificate: the only thing a client needs to trust. */
  caCertificate: string;
  /** PEM of the server's certificate, issued by the CA for `hosts`. */
  certificate: string;
  /** PEM (PKCS#8) of the server's private key. */
  privateKey: string;
}

const oids = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

const validityMs = 365 * 24 * 3600 * 1000;
/** Accepts clocks a little behind ours. */
const backdateMs = 3600 * 1000;

/** Makes a fresh CA and a server certificate valid for `hosts` (IP addresses or DNS names). */
export function createEmulatorCertificates(hosts: readonly string[], now = new Date()): EmulatorCertificates {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const server = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caName = distinguishedName('Switchboard emulator test CA');
  const caKeyId = keyIdentifier(ca.publicKey);
  const notBefore = new Date(now.getTime() - backdateMs);
  const notAfter = new Date(now.getTime() + validityMs);

  const caCertificate = issue({
    issuer: caName,
    subject: caName,
    subjectKey: ca.publicKey,
    signingKey: ca.privateKey,
    validity: [notBefore, notAfter],
    extensions: [
      extension(oids.basicConstraints, true, sequence(boolean(true))),
      // keyCertSign (bit 5) and cRLSign (bit 6): 0b0000_0110, one unused bit.
      extension(oids.keyUsage, true, bitString(Buffer.from([0x06]), 1)),
      extension(oids.subjectKeyIdentifier, false, octetString(caKeyId)),
    ],
  });
  const certificate = issue({
    issuer: caName,
    subject: distinguishedName(hosts[0] ?? 'localhost'),
    subjectKey: server.publicKey,
    signingKey: ca.privateKey,
    validity: [notBefore, notAfter],
    extensions: [
      extension(oids.basicConstraints, true, sequence()),
      // digitalSignature (bit 0): 0b1000_0000, seven unused bits.
      extension(oids.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
      extension(oids.extendedKeyUsage, false, sequence(objectIdentifier(oids.serverAuth))),
      extension(oids.subjectAltName, false, sequence(...hosts.map(alternativeName))),
      extension(oids.subjectKeyIdentifier, false, octetString(keyIdentifier(server.publicKey))),
      extension(oids.authorityKeyIdentifier, false, sequence(tlv(0x80, caKeyId))),
    ],
  });
  return {
    caCertificate: pem('CERTIFICATE', caCertificate),
    certificate: pem('CERTIFICATE', certificate),
    privateKey: server.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

interface CertificateFields {
  issuer: Buffer;
  subject: Buffer;
  subjectKey: KeyObject;
  signingKey: KeyObject;
  validity: [Date, Date];
  extensions: Buffer[];
}

/** RFC 5280 §4.1: a v3 TBSCertificate, signed with ECDSA over SHA-256. */
function issue(fields: CertificateFields): Buffer {
  const algorithm = sequence(objectIdentifier(oids.ecdsaWithSha256));
  // A positive serial of 16 random bytes with a non-zero leading bit pattern, so DER keeps all 16.
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x40;
  const toBeSigned = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))),
    unsignedInteger(serial),
    algorithm,
    fields.issuer,
    sequence(utcTime(fields.validity[0]), utcTime(fields.validity[1])),
    fields.subject,
    fields.subjectKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...fields.extensions)),
  );
  // Node signs EC keys with a DER-encoded ECDSA-Sig-Value, which is what X.509 wants.
  const signature = sign('sha256', toBeSigned, fields.signingKey);
  return sequence(toBeSigned, algorithm, bitString(signature));
}

const distinguishedName = (commonName: string) => sequence(set(sequence(objectIdentifier(oids.commonName), utf8String(commonName))));

const extension = (oid: string, critical: boolean, value: Buffer) =>
  sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));

/** GeneralName: `[7] iPAddress` for IPv4/IPv6 literals, `[2] dNSName` otherwise. */
function alternativeName(host: string): Buffer {
  const family = isIP(host);
  if (family === 4) return tlv(0x87, Buffer.from(host.split('.').map(Number)));
  if (family === 6) return tlv(0x87, ipv6Bytes(host));
  return tlv(0x82, Buffer.from(host, 'ascii'));
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = [...groups(head), ...(address.includes('::') ? Array<string>(missing).fill('0') : []), ...groups(tail)];
  return Buffer.from(all.flatMap((group) => [parseInt(group, 16) >> 8, parseInt(group, 16) & 0xff]));
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (the SPKI's trailing BIT STRING). */
function keyIdentifier(key: KeyObject): Buffer {
  // A P-256 SPKI ends with the 65-byte uncompressed point.
  const spki = key.export({ type: 'spki', format: 'der' });
  return createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
