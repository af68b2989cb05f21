/**
 * L4: a license with a domain serves only clients sending the same domain, compared without case
 * after trimming spaces and tabs; a license without a domain serves everyone.
 */
export function normalizeDomain(domain: string | undefined): string | undefined {
  if (domain === undefined) return undefined;
  const trimmed = domain.replace(/^[ \t]+|[ \t]+$/g, '');
  return trimmed === '' ? undefined : trimmed.toLowerCase();
}

export function domainMatches(licenseDomain: string | undefined, clientDomain: string | undefined): boolean {
  const wanted = normalizeDomain(licenseDomain);
  if (wanted === undefined) return true;
  return normalizeDomain(clientDomain) === wanted;
}
