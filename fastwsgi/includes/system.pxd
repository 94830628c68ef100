# The POSIX and Linux calls the engine makes, declared once.  Unless said
# otherwise they follow the POSIX contract: -1 with errno on failure (socket
# I/O goes through engine/transport.pyx, which maps errno once).

from libc.stdint cimport uint32_t, uint64_t


cdef extern from "<errno.h>" nogil:
    int errno
    enum:
        EAGAIN
        EWOULDBLOCK
        EINTR
        EPIPE
        ECONNRESET
        ECONNABORTED
        EMFILE
        ENFILE
        ENOBUFS
        ENOMEM
        EPERM
        EPROTO
        EINVAL
        ENOSYS
        ECANCELED
        EBUSY
        ETIME


cdef extern from "<sys/types.h>" nogil:
    ctypedef long off_t


cdef extern from "<unistd.h>" nogil:
    int close(int fd)
    ssize_t write(int fd, const void *buf, size_t count)
    ssize_t read(int fd, void *buf, size_t count)
    ssize_t pread(int fd, void *buf, size_t count, off_t offset)


cdef extern from "<sys/socket.h>" nogil:
    ctypedef unsigned int socklen_t
    ctypedef unsigned short sa_family_t

    struct sockaddr:
        sa_family_t sa_family

    struct sockaddr_storage:
        sa_family_t ss_family

    enum:
        AF_INET
        AF_INET6
        AF_UNIX
        SOL_SOCKET
        SO_ERROR
        SOCK_NONBLOCK
        SOCK_CLOEXEC
        MSG_NOSIGNAL
        MSG_DONTWAIT
        SHUT_WR
        SHUT_RDWR

    int accept4(int sockfd, sockaddr *addr, socklen_t *addrlen, int flags)
    ssize_t recv(int sockfd, void *buf, size_t len, int flags)
    ssize_t send(int sockfd, const void *buf, size_t len, int flags)
    int shutdown(int sockfd, int how)
    int getpeername(int sockfd, sockaddr *addr, socklen_t *addrlen)
    int setsockopt(int sockfd, int level, int optname, const void *optval, socklen_t optlen)


cdef extern from "<netinet/in.h>" nogil:
    enum:
        IPPROTO_TCP
    struct in_addr:
        uint32_t s_addr
    struct sockaddr_in:
        sa_family_t sin_family
        unsigned short sin_port
        in_addr sin_addr
    struct in6_addr:
        unsigned char s6_addr[16]
    struct sockaddr_in6:
        sa_family_t sin6_family
        unsigned short sin6_port
        in6_addr sin6_addr
    unsigned short ntohs(unsigned short)


cdef extern from "<netinet/tcp.h>" nogil:
    enum:
        TCP_NODELAY
        TCP_DEFER_ACCEPT


cdef extern from "<arpa/inet.h>" nogil:
    const char *inet_ntop(int af, const void *src, char *dst, socklen_t size)
    enum:
        INET6_ADDRSTRLEN


cdef extern from "<sys/uio.h>" nogil:
    struct iovec:
        void *iov_base
        size_t iov_len


cdef extern from "<sys/socket.h>" nogil:
    struct msghdr:
        void *msg_name
        socklen_t msg_namelen
        iovec *msg_iov
        size_t msg_iovlen
        void *msg_control
        size_t msg_controllen
        int msg_flags
    ssize_t sendmsg(int sockfd, const msghdr *msg, int flags)


cdef extern from "<sys/sendfile.h>" nogil:
    ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count)


cdef extern from "<sys/epoll.h>" nogil:
    union epoll_data:
        void *ptr
        int fd
        uint32_t u32
        uint64_t u64

    struct epoll_event:
        uint32_t events
        epoll_data data

    enum:
        EPOLLIN
        EPOLLOUT
        EPOLLERR
        EPOLLHUP
        EPOLLRDHUP
        EPOLLEXCLUSIVE
        EPOLL_CTL_ADD
        EPOLL_CTL_MOD
        EPOLL_CTL_DEL
        EPOLL_CLOEXEC

    int epoll_create1(int flags)
    int epoll_ctl(int epfd, int op, int fd, epoll_event *event)
    int epoll_wait(int epfd, epoll_event *events, int maxevents, int timeout)


cdef extern from "<time.h>" nogil:
    ctypedef long time_t
    struct timespec:
        time_t tv_sec
        long tv_nsec
    enum:
        CLOCK_MONOTONIC
        CLOCK_MONOTONIC_COARSE
        CLOCK_REALTIME_COARSE
    int clock_gettime(int clk_id, timespec *tp)


cdef extern from "<sys/eventfd.h>" nogil:
    int eventfd(unsigned int initval, int flags)  # fd, or -1 with errno
    enum:
        EFD_NONBLOCK
        EFD_CLOEXEC
