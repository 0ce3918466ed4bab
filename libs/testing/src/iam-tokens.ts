/**
 * A test's IAM access token for an API key (the apikey grant of `POST /identity/token`). Failures
 * throw with IAM's status and answer, which never contains the key.
 */
export async function iamTokenFor(iamUrl: string, apikey: string): Promise<string> {
  const response = await fetch(`${iamUrl}/identity/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ibm:params:oauth:grant-type:apikey', apikey }).toString(),
  });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The account id (`account.bss`) an IAM token carries, read without verifying it. */
export function accountOfToken(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { account: { bss: string } }).account.bss;
}
