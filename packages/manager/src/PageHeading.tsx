import { useEffect, useRef } from 'react';

// The first page shown keeps the focus where the browser put it; later pages take it.
let pageShownBefore = false;

/**
 * The page's one h2. A new page moves the focus to its heading, so keyboard and screen reader users
 * land on it rather than on the menu link they left.
 */
export function PageHeading({ children, intro }: { children: React.ReactNode; intro?: React.ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (pageShownBefore) heading.current?.focus();
    pageShownBefore = true;
  }, []);
  return (
    <div className="page-heading">
      <h2 tabIndex={-1} ref={heading}>
        {children}
      </h2>
      {intro ? <p className="intro">{intro}</p> : null}
    </div>
  );
}
