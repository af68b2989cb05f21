import type { ComponentUsage, CurrentUser } from '../api/types.ts';

export interface Overview {
  components: ComponentUsage[];
  users: CurrentUser[];
}

/**
 * Do the two tables tell one story? Components and users are two reads, and a client may take or
 * give back a seat between them. Each component's in-use count must lie between the distinct
 * (user, computer) pairs holding it (seats shared per user and computer, L5) and the leases holding it.
 */
export function isConsistent({ components, users }: Overview): boolean {
  return components.every((row) => {
    const holders = users.filter(
      (u) =>
        u.licenseNumber === row.licenseNumber &&
        (row.component === 'Base' || u.components.includes(row.component)),
    );
    const pairs = new Set(holders.map((u) => `${u.user}\n${u.computer}`)).size;
    return row.inUse >= pairs && row.inUse <= holders.length;
  });
}

const MAX_READS = 8;

/**
 * Reads both tables until they agree (at most a few times): the page never shows a user without
 * the seat, or a seat without its user, while clients come and go.
 */
export async function readOverview(read: () => Promise<Overview>): Promise<Overview> {
  let last = await read();
  for (let attempt = 1; attempt < MAX_READS && !isConsistent(last); attempt++) last = await read();
  return last;
}
