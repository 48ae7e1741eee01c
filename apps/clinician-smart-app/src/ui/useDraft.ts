// Text the user is typing, kept in sessionStorage so it survives a session that ends and a sign-in again.
import { useCallback, useState } from 'react';

const PREFIX = 'rpm-clinician-draft:';

/** `initial`: the value to start from when nothing is kept (e.g. the limit in force); it is not stored. */
export function useDraft(key: string, initial = ''): [string, (value: string) => void] {
  const [value, setValue] = useState(() => sessionStorage.getItem(PREFIX + key) ?? initial);
  const update = useCallback(
    (next: string) => {
      setValue(next);
      if (next) {
        sessionStorage.setItem(PREFIX + key, next);
      } else {
        sessionStorage.removeItem(PREFIX + key);
      }
    },
    [key]
  );
  return [value, update];
}
