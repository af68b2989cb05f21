import { createContext, useContext } from 'react';
import { AdminApi } from './api/client.ts';

export const ApiContext = createContext<AdminApi>(new AdminApi());

export const useApi = () => useContext(ApiContext);
